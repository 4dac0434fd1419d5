//! Read-aloud for the hand-over view, offline: a question spoken by Debian's eSpeak NG into a
//! WAV held in memory, and [`check_wav`], which every WAV (spoken or recorded and shipped with a
//! protocol) passes before it is handed to a player.
//!
//! Nothing here touches the disk: the text goes to `espeak-ng` on its standard input (never on
//! its command line, where other users could read it), and the WAV comes back on its standard
//! output. No Tauri, no vault.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

#[cfg(test)]
mod tests;

/// A WAV file in memory (RIFF/WAVE, PCM), ready for an <audio> element.
#[derive(Clone, PartialEq, Eq)]
pub struct Wav(pub Vec<u8>);

impl std::fmt::Debug for Wav {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Wav({} bytes)", self.0.len())
    }
}

/// What [`check_wav`] found: the PCM format and how many frames (samples per channel) it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavInfo {
    pub channels: u16,
    pub sample_rate: u32,
    pub bits: u16,
    pub frames: u64,
}

/// Why bytes are not a WAV file a player can be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    #[error("not a RIFF/WAVE file: it does not start with `RIFF`, a size and `WAVE`")]
    NotRiff,
    #[error("truncated: {part} declares {declared} bytes but only {available} are there")]
    Truncated { part: String, declared: u64, available: u64 },
    #[error("no `fmt ` chunk before the audio data")]
    NoFormat,
    #[error("the `fmt ` chunk is {0} bytes; PCM needs 16")]
    ShortFormat(u32),
    #[error("not PCM: format tag {0} (only 1, integer PCM, is accepted)")]
    NotPcm(u16),
    #[error("{0}-bit samples: only 8- and 16-bit PCM is accepted")]
    Bits(u16),
    #[error("{channels} channels at {sample_rate} Hz is not a playable format")]
    Layout { channels: u16, sample_rate: u32 },
    #[error("no `data` chunk")]
    NoData,
    #[error("the `data` chunk holds no audio")]
    EmptyData,
    #[error("{0} bytes is more than a WAV file can describe")]
    TooLarge(usize),
}

/// Why no speech came back.
#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error("voice `{0}` is not a voice name (letters, digits, `-`, `_` and `/`, starting with a letter or digit, e.g. `en`, `cmn`, `ar`)")]
    BadVoice(String),
    #[error("there is no text to read")]
    EmptyText,
    #[error("the text is {chars} characters; at most {max} are read at once")]
    TooLong { chars: usize, max: usize },
    #[error("cannot run eSpeak NG at {}: install Debian's `espeak-ng` or set FIELDSCREEN_ESPEAK", program.display())]
    NotInstalled {
        program: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("eSpeak NG failed ({status}): {stderr}")]
    Failed { status: ExitStatus, stderr: String },
    #[error("eSpeak NG did not finish within {} s and was stopped", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("eSpeak NG: {what}")]
    Io {
        what: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("eSpeak NG gave audio that does not check: {0}")]
    BadWav(#[source] WavError),
}

/// The most characters [`synthesize`] reads at once (a question, its answers or a script).
pub const MAX_CHARS: usize = 4000;
/// How long eSpeak NG may take before it is killed.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_PROGRAM: &str = "/usr/bin/espeak-ng";
/// How much of eSpeak NG's error output a [`VoiceError::Failed`] keeps.
const STDERR_KEEP: usize = 2000;

/// `text` spoken in eSpeak NG's `voice` (`en`, `es`, `ar`, `cmn`, ...), as a checked WAV with its
/// size fields set. Runs `/usr/bin/espeak-ng` (or `$FIELDSCREEN_ESPEAK`), killed after
/// [`TIMEOUT`].
pub fn synthesize(voice: &str, text: &str) -> Result<Wav, VoiceError> {
    check_voice(voice)?;
    if text.trim().is_empty() {
        return Err(VoiceError::EmptyText);
    }
    let chars = text.chars().count();
    if chars > MAX_CHARS {
        return Err(VoiceError::TooLong { chars, max: MAX_CHARS });
    }
    // -b 1: the input is UTF-8. No text argument and no -f: espeak-ng reads standard input.
    let mut bytes = run(&program(), &["-v", voice, "--stdout", "-b", "1"], text.as_bytes(), TIMEOUT)?;
    fix_stream_sizes(&mut bytes).map_err(VoiceError::BadWav)?;
    check_wav(&bytes).map_err(VoiceError::BadWav)?;
    Ok(Wav(bytes))
}

/// True when eSpeak NG runs (`--version` answers).
pub fn espeak_available() -> bool {
    run(&program(), &["--version"], b"", Duration::from_secs(2)).is_ok()
}

fn program() -> PathBuf {
    match std::env::var_os("FIELDSCREEN_ESPEAK") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(DEFAULT_PROGRAM),
    }
}

fn check_voice(voice: &str) -> Result<(), VoiceError> {
    let ok = voice.len() <= 64
        && voice.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && voice.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/'));
    if ok {
        Ok(())
    } else {
        Err(VoiceError::BadVoice(voice.chars().take(80).collect()))
    }
}

enum Stream {
    Out(io::Result<Vec<u8>>),
    Err(io::Result<Vec<u8>>),
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `program` with `input` on its standard input and returns its standard output, all in
/// memory. Past `timeout` the process is killed. The pipes are served by threads so that
/// neither side can block the other on a full pipe.
pub(crate) fn run(program: &Path, args: &[&str], input: &[u8], timeout: Duration) -> Result<Vec<u8>, VoiceError> {
    let deadline = Instant::now() + timeout;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| VoiceError::NotInstalled { program: program.to_path_buf(), source })?;
    let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        stop(&mut child);
        return Err(VoiceError::Io { what: "no pipes to the process", source: io::ErrorKind::Other.into() });
    };
    let (wtx, wrx) = mpsc::channel();
    let input = input.to_vec();
    thread::spawn(move || {
        // Dropping stdin at the end closes it: that is the end of the text.
        let r = stdin.write_all(&input);
        let _ = wtx.send(r);
    });
    let (tx, rx) = mpsc::channel();
    let tx_err = tx.clone();
    thread::spawn(move || {
        let mut b = Vec::new();
        let r = stdout.read_to_end(&mut b).map(|_| b);
        let _ = tx.send(Stream::Out(r));
    });
    thread::spawn(move || {
        let mut b = Vec::new();
        let r = stderr.read_to_end(&mut b).map(|_| b);
        let _ = tx_err.send(Stream::Err(r));
    });

    let (mut out, mut err) = (None, None);
    while out.is_none() || err.is_none() {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Stream::Out(r)) => out = Some(r),
            Ok(Stream::Err(r)) => err = Some(r),
            Err(_) => {
                stop(&mut child);
                return Err(VoiceError::Timeout(timeout));
            }
        }
    }
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(1)),
            Ok(None) => {
                stop(&mut child);
                return Err(VoiceError::Timeout(timeout));
            }
            Err(source) => {
                stop(&mut child);
                return Err(VoiceError::Io { what: "waiting for the process", source });
            }
        }
    };
    let out = out.unwrap_or_else(|| Ok(Vec::new()));
    let err = err.unwrap_or_else(|| Ok(Vec::new()));
    if !status.success() {
        let text = String::from_utf8_lossy(err.as_deref().unwrap_or_default());
        let stderr: String = text.trim().chars().take(STDERR_KEEP).collect();
        return Err(VoiceError::Failed { status, stderr });
    }
    // The process has exited, so the writer has finished or failed.
    match wrx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(())) => {}
        Ok(Err(source)) => return Err(VoiceError::Io { what: "the text was not read whole", source }),
        Err(_) => return Err(VoiceError::Timeout(timeout)),
    }
    out.map_err(|source| VoiceError::Io { what: "reading the audio", source })
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn is_riff_wave(b: &[u8]) -> bool {
    b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WAVE"
}

fn chunk_name(id: &[u8]) -> String {
    id.iter().map(|&c| if c.is_ascii_graphic() || c == b' ' { c as char } else { '?' }).collect()
}

/// eSpeak NG streams its WAV, so its RIFF and `data` sizes are placeholders (0x7ffff0xx): both
/// are set here from the real length.
pub(crate) fn fix_stream_sizes(b: &mut [u8]) -> Result<(), WavError> {
    if !is_riff_wave(b) {
        return Err(WavError::NotRiff);
    }
    let len = u32::try_from(b.len()).map_err(|_| WavError::TooLarge(b.len()))?;
    let mut at = 12;
    while at + 8 <= b.len() {
        let size = u32_at(b, at + 4) as usize;
        if &b[at..at + 4] == b"data" {
            b[4..8].copy_from_slice(&(len - 8).to_le_bytes());
            b[at + 4..at + 8].copy_from_slice(&(len - (at as u32 + 8)).to_le_bytes());
            return Ok(());
        }
        at = at.saturating_add(8).saturating_add(size).saturating_add(size & 1);
    }
    Err(WavError::NoData)
}

/// Checks that `bytes` is a RIFF/WAVE file with a PCM (format 1) `fmt ` chunk of 8- or 16-bit
/// samples and a non-empty `data` chunk that lies within the file.
pub fn check_wav(bytes: &[u8]) -> Result<WavInfo, WavError> {
    if !is_riff_wave(bytes) {
        return Err(WavError::NotRiff);
    }
    let riff_end = u32_at(bytes, 4) as u64 + 8;
    if riff_end > bytes.len() as u64 {
        return Err(WavError::Truncated {
            part: "the RIFF header".into(),
            declared: riff_end,
            available: bytes.len() as u64,
        });
    }
    let b = &bytes[..riff_end as usize];
    let mut format: Option<(u16, u16, u32, u16)> = None;
    let mut at = 12;
    while at + 8 <= b.len() {
        let id = &b[at..at + 4];
        let size = u32_at(b, at + 4);
        let body = at + 8;
        let available = (b.len() - body) as u64;
        if size as u64 > available {
            return Err(WavError::Truncated {
                part: format!("the `{}` chunk", chunk_name(id)),
                declared: size as u64,
                available,
            });
        }
        match id {
            b"fmt " => {
                if size < 16 {
                    return Err(WavError::ShortFormat(size));
                }
                format = Some((u16_at(b, body), u16_at(b, body + 2), u32_at(b, body + 4), u16_at(b, body + 14)));
            }
            b"data" => {
                let (tag, channels, sample_rate, bits) = format.ok_or(WavError::NoFormat)?;
                if tag != 1 {
                    return Err(WavError::NotPcm(tag));
                }
                if bits != 8 && bits != 16 {
                    return Err(WavError::Bits(bits));
                }
                if channels == 0 || sample_rate == 0 {
                    return Err(WavError::Layout { channels, sample_rate });
                }
                let frames = size as u64 / (channels as u64 * (bits as u64 / 8));
                if frames == 0 {
                    return Err(WavError::EmptyData);
                }
                return Ok(WavInfo { channels, sample_rate, bits, frames });
            }
            _ => {}
        }
        at = body + size as usize + (size as usize & 1);
    }
    match format {
        None => Err(WavError::NoFormat),
        Some((tag, ..)) if tag != 1 => Err(WavError::NotPcm(tag)),
        Some(_) => Err(WavError::NoData),
    }
}
