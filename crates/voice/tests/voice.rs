//! Against Debian's eSpeak NG (`scripts/bootstrap.sh` installs `espeak-ng`): real speech in
//! three scripts, and `check_wav` on broken files.

use voice::{check_wav, espeak_available, synthesize, VoiceError, WavError, WavInfo};

const EN: &str = "Are you in danger right now? You can skip any question.";
const AR: &str = "هل أنت في خطر الآن؟ يمكنك تخطي أي سؤال.";
const CMN: &str = "你现在有危险吗？你可以跳过任何问题。";

fn seconds(i: &WavInfo) -> f64 {
    i.frames as f64 / i.sample_rate as f64
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// A PCM WAV built by hand: `fmt ` then `data` with `frames` frames.
fn pcm(format: u16, bits: u16, frames: usize) -> Vec<u8> {
    let data_len = frames * bits as usize / 8;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&format.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&8000u32.to_le_bytes());
    b.extend_from_slice(&(8000 * bits as u32 / 8).to_le_bytes());
    b.extend_from_slice(&(bits / 8).to_le_bytes());
    b.extend_from_slice(&bits.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data_len as u32).to_le_bytes());
    b.extend((0..data_len).map(|i| (i % 251) as u8));
    b
}

#[test]
fn espeak_is_installed() {
    assert!(espeak_available(), "install Debian's espeak-ng (scripts/bootstrap.sh does)");
}

#[test]
fn arabic_chinese_and_english_give_checked_wavs_of_over_half_a_second() {
    for (voice, text) in [("ar", AR), ("cmn", CMN), ("en", EN)] {
        let wav = synthesize(voice, text).unwrap_or_else(|e| panic!("{voice}: {e}"));
        let info = check_wav(&wav.0).unwrap_or_else(|e| panic!("{voice}: {e}"));
        assert_eq!((info.channels, info.bits), (1, 16), "{voice}: {info:?}");
        assert!(seconds(&info) > 0.5, "{voice}: only {} s", seconds(&info));
        let samples = &wav.0[44..];
        assert!(samples.iter().any(|&b| b != 0), "{voice}: silence");
    }
}

#[test]
fn the_streamed_header_sizes_are_fixed() {
    let wav = synthesize("en", EN).unwrap();
    let b = &wav.0;
    assert_eq!(&b[36..40], b"data", "eSpeak NG's 44-byte header");
    assert_eq!(le32(b, 4) as usize, b.len() - 8, "RIFF size");
    assert_eq!(le32(b, 40) as usize, b.len() - 44, "data size");
    assert!(le32(b, 4) < 0x7fff_f000 && le32(b, 40) < 0x7fff_f000, "no placeholder left");
}

#[test]
fn bad_voice_names_empty_and_long_text_are_refused_before_anything_runs() {
    for bad in ["", "-w", "/tmp/x", "en us", "en;id", "../en"] {
        assert!(matches!(synthesize(bad, EN), Err(VoiceError::BadVoice(_))), "{bad:?}");
    }
    for empty in ["", "   \n\t"] {
        assert!(matches!(synthesize("en", empty), Err(VoiceError::EmptyText)), "{empty:?}");
    }
    let long = "a".repeat(4001);
    assert!(matches!(synthesize("en", &long), Err(VoiceError::TooLong { chars: 4001, max: 4000 })));
    let at_limit = "word ".repeat(800);
    assert!(synthesize("en", &at_limit).is_ok(), "4,000 characters are read");
}

#[test]
fn an_unknown_voice_fails_with_espeaks_own_words() {
    let e = synthesize("xx-nonexistent", EN).unwrap_err();
    assert!(matches!(&e, VoiceError::Failed { stderr, .. } if !stderr.is_empty()), "{e:?}");
}

#[test]
fn check_wav_accepts_8_and_16_bit_pcm() {
    assert_eq!(
        check_wav(&pcm(1, 16, 4000)).unwrap(),
        WavInfo { channels: 1, sample_rate: 8000, bits: 16, frames: 4000 }
    );
    assert_eq!(check_wav(&pcm(1, 8, 10)).unwrap().frames, 10);
}

#[test]
fn check_wav_rejects_truncated_non_pcm_and_non_riff_input_naming_the_fault() {
    let good = pcm(1, 16, 4000);
    // Cut in the middle of the samples: the RIFF header promises more than is there.
    let cut = &good[..good.len() - 100];
    assert!(matches!(check_wav(cut), Err(WavError::Truncated { ref part, .. }) if part == "the RIFF header"));
    // The RIFF size made to match, the data chunk still promises more.
    let mut cut2 = cut.to_vec();
    let riff = (cut2.len() - 8) as u32;
    cut2[4..8].copy_from_slice(&riff.to_le_bytes());
    let e = check_wav(&cut2).unwrap_err();
    assert!(
        matches!(&e, WavError::Truncated { part, declared: 8000, available: 7900 } if part == "the `data` chunk"),
        "{e:?}"
    );
    assert!(e.to_string().contains("truncated"), "{e}");
    assert!(matches!(check_wav(&good[..30]), Err(WavError::Truncated { .. })));

    assert_eq!(check_wav(&pcm(3, 16, 100)), Err(WavError::NotPcm(3)), "IEEE float");
    assert_eq!(check_wav(&pcm(1, 24, 100)), Err(WavError::Bits(24)));
    assert_eq!(check_wav(&pcm(1, 16, 0)), Err(WavError::EmptyData));

    for junk in [&b""[..], b"RIFF", b"hello world, not audio", b"OggS\0\x02\0\0\0\0\0\0\0\0"] {
        assert_eq!(check_wav(junk), Err(WavError::NotRiff), "{junk:?}");
    }
    let mut avi = good.clone();
    avi[8..12].copy_from_slice(b"AVI ");
    assert_eq!(check_wav(&avi), Err(WavError::NotRiff));
    let mut no_fmt = good.clone();
    no_fmt[12..16].copy_from_slice(b"junk");
    assert_eq!(check_wav(&no_fmt), Err(WavError::NoFormat));
    assert!(WavError::NotPcm(3).to_string().contains("not PCM"));
}
