//! The process runner and the size fix, on stand-in programs and hand-built headers. The real
//! eSpeak NG is in `tests/`.

use super::*;

const SH: &str = "/bin/sh";

fn sh(script: &str, input: &[u8], timeout: Duration) -> Result<Vec<u8>, VoiceError> {
    run(Path::new(SH), &["-c", script], input, timeout)
}

/// A WAV header as eSpeak NG streams it: placeholder sizes, then `n` bytes of samples.
fn streamed(n: usize) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&0x7fff_f024u32.to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&22050u32.to_le_bytes());
    b.extend_from_slice(&44100u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&0x7fff_f000u32.to_le_bytes());
    b.extend(std::iter::repeat_n(0u8, n));
    b
}

#[test]
fn the_text_goes_in_on_stdin_and_the_output_comes_back_whole() {
    let big = "é".repeat(300_000); // more than a pipe buffer each way
    let out = sh("cat", big.as_bytes(), TIMEOUT).unwrap();
    assert_eq!(out, big.as_bytes());
}

#[test]
fn a_non_zero_exit_keeps_stderr() {
    let e = sh("echo 'no such voice' >&2; exit 3", b"", TIMEOUT).unwrap_err();
    match &e {
        VoiceError::Failed { status, stderr } => {
            assert_eq!(status.code(), Some(3));
            assert_eq!(stderr, "no such voice");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("no such voice"), "{e}");
}

#[test]
fn a_missing_program_is_not_installed_with_its_io_error() {
    let e = run(Path::new("/nonexistent/espeak-ng"), &[], b"", TIMEOUT).unwrap_err();
    assert!(matches!(&e, VoiceError::NotInstalled { program, .. } if program == Path::new("/nonexistent/espeak-ng")));
    let source = std::error::Error::source(&e).expect("keeps the io::Error");
    assert_eq!(source.downcast_ref::<io::Error>().unwrap().kind(), io::ErrorKind::NotFound);
}

#[test]
fn a_stuck_process_is_killed_at_the_timeout() {
    let start = Instant::now();
    let e = sh("exec sleep 30", b"", Duration::from_millis(300)).unwrap_err();
    assert!(matches!(e, VoiceError::Timeout(_)), "{e:?}");
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
}

#[test]
fn stream_sizes_are_set_from_the_real_length() {
    let mut b = streamed(1000);
    assert!(matches!(check_wav(&b), Err(WavError::Truncated { .. })), "placeholders do not check");
    fix_stream_sizes(&mut b).unwrap();
    assert_eq!(u32_at(&b, 4) as usize, b.len() - 8);
    assert_eq!(u32_at(&b, 40), 1000);
    let info = check_wav(&b).unwrap();
    assert_eq!(info, WavInfo { channels: 1, sample_rate: 22050, bits: 16, frames: 500 });
    assert_eq!(fix_stream_sizes(&mut b"RIFF\0\0\0\0WAVEfmt ".to_vec()), Err(WavError::NoData));
    assert_eq!(fix_stream_sizes(&mut b"garbage".to_vec()), Err(WavError::NotRiff));
}

#[test]
fn voice_names_are_checked_before_anything_runs() {
    for ok in ["en", "cmn", "ar", "roa/es", "en-us", "zh_yue", "en-GB-x-rp"] {
        assert!(check_voice(ok).is_ok(), "{ok}");
    }
    for bad in ["", "-q", "/etc/passwd", "en us", "en;rm", "../x", "é", &"a".repeat(65)] {
        assert!(matches!(check_voice(bad), Err(VoiceError::BadVoice(_))), "{bad}");
    }
}
