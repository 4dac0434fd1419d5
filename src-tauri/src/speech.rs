//! Reading the person's words aloud: which words (the current item's question, its answers in
//! the person's words, the stop control) and which voice, decided under the app's state; the
//! synthesis itself (`voice`, eSpeak NG) runs outside it, in memory, and nothing is written to
//! disk. Recorded audio from the protocol folder comes first when the item has it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use screening::model::{AnswerSpec, Item, ItemKind};
use screening::{AnswerKind, Library, Session};

use crate::dto::*;

/// The person's words of the hand-over view, by language (`ui/src/lib/personWords.json`, the
/// file the UI shows them from).
pub fn person_words() -> &'static BTreeMap<String, BTreeMap<String, String>> {
    static WORDS: OnceLock<BTreeMap<String, BTreeMap<String, String>>> = OnceLock::new();
    WORDS.get_or_init(|| {
        serde_json::from_str(include_str!("../../ui/src/lib/personWords.json"))
            .expect("ui/src/lib/personWords.json is a map of language to words (tested)")
    })
}

fn word(lang: &str, key: &str) -> String {
    let w = person_words();
    w.get(lang).and_then(|m| m.get(key)).or_else(|| w.get("en").and_then(|m| m.get(key))).cloned().unwrap_or_default()
}

/// What to say, with which voice; or the recorded file to play instead.
#[derive(Debug, Clone, PartialEq)]
pub enum Speech {
    Synthesize { voice: String, text: String },
    Recorded(PathBuf),
}

/// The words of `part` for the session's current item in `lang`.
pub fn prepare(lib: &Library, session: &Session, lang: &str, part: SpeakPart) -> Result<Speech, CommandError> {
    let item = session
        .current()
        .filter(|i| i.kind != ItemKind::Observation)
        .ok_or_else(|| CommandError::new(ErrorKind::Invalid, "no question is on screen to read aloud"))?;
    if part == SpeakPart::Question {
        if let Some(path) = recorded(session, item, lang) {
            return Ok(Speech::Recorded(path));
        }
    }
    let voice = lib.language(lang).and_then(|l| l.voice.clone()).ok_or_else(|| {
        CommandError::new(ErrorKind::NoVoice, format!("no offline voice reads `{lang}` aloud on this device"))
    })?;
    let text = match part {
        SpeakPart::Question => question(item, lang),
        SpeakPart::Answers => answers(item, lang),
        SpeakPart::Stop => word(lang, "stop"),
    };
    Ok(Speech::Synthesize { voice, text })
}

fn question(item: &Item, lang: &str) -> String {
    item.text.get(lang).or_else(|| item.text.get("en")).cloned().unwrap_or_default()
}

/// The answers the person can give, in their words, one sentence each: the choices, then the
/// answer tokens the item offers (the same ones the buttons show).
fn answers(item: &Item, lang: &str) -> String {
    let mut said: Vec<String> = match &item.answer {
        AnswerSpec::Choice(choices) => {
            choices.iter().map(|c| c.text.get(lang).or_else(|| c.text.get("en")).cloned().unwrap_or_default()).collect()
        }
        AnswerSpec::Number { .. } | AnswerSpec::Text => vec![word(lang, "yourAnswer")],
        _ => Vec::new(),
    };
    for t in item.answer.tokens() {
        if let Some(key) = person_word_key(*t) {
            said.push(word(lang, key));
        }
    }
    said.retain(|s| !s.trim().is_empty());
    said.join(". ")
}

/// The key of a token's word in `personWords.json`; the officer's own tokens have none.
fn person_word_key(t: AnswerKind) -> Option<&'static str> {
    match t {
        AnswerKind::Yes => Some("yes"),
        AnswerKind::No => Some("no"),
        AnswerKind::NotSure => Some("not-sure"),
        AnswerKind::Declined => Some("declined"),
        AnswerKind::Read => Some("read"),
        _ => None,
    }
}

/// A recorded file for the item's question in `lang`, beside the protocol file, if it has one.
fn recorded(session: &Session, item: &Item, lang: &str) -> Option<PathBuf> {
    let rel = item.audio.get(lang)?;
    let p = session.protocol();
    let folder = std::path::Path::new(&p.path).parent()?;
    let path = folder.join(rel);
    path.is_file().then_some(path)
}

/// Produces the audio: a WAV in memory. Runs without the app's state lock.
pub fn render(speech: Speech) -> Result<Vec<u8>, CommandError> {
    match speech {
        Speech::Synthesize { voice, text } => voice::synthesize(&voice, &text)
            .map(|w| w.0)
            .map_err(|e| CommandError::new(ErrorKind::NoVoice, format!("reading aloud failed: {e}"))),
        Speech::Recorded(path) => {
            let bytes = std::fs::read(&path).map_err(|e| {
                CommandError::new(ErrorKind::NoVoice, format!("recorded audio {}: {e}", path.display()))
            })?;
            voice::check_wav(&bytes).map_err(|e| {
                CommandError::new(ErrorKind::NoVoice, format!("recorded audio {}: {e}", path.display()))
            })?;
            Ok(bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use screening::translations::fixed_parts;

    /// The hand-over words exist for exactly the registered languages, each with every key,
    /// and keep English's numbers.
    #[test]
    fn person_words_cover_the_registry_and_keep_numbers() {
        let lib = crate::content::shipped().unwrap();
        let words = person_words();
        let registered: Vec<&str> = lib.languages.iter().map(|l| l.code.as_str()).collect();
        let mut have: Vec<&str> = words.keys().map(String::as_str).collect();
        let mut want = registered.clone();
        have.sort();
        want.sort();
        assert_eq!(have, want, "personWords.json languages against languages.toml");
        let en = &words["en"];
        for (lang, w) in words {
            let keys: Vec<&String> = w.keys().collect();
            assert_eq!(keys, en.keys().collect::<Vec<_>>(), "{lang}: the same words as English");
            for (k, v) in w {
                assert!(!v.trim().is_empty(), "{lang}.{k} is empty");
                assert_eq!(fixed_parts(v), fixed_parts(&en[k]), "{lang}.{k}: numbers differ from English");
            }
        }
    }

    #[test]
    fn every_protocol_language_is_registered_and_the_answers_read_in_the_persons_words() {
        let lib = crate::content::shipped().unwrap();
        for p in &lib.protocols {
            assert!(p.languages.len() >= 10, "{}: at least ten languages", p.id);
            for lang in &p.languages {
                assert!(lib.language(lang).is_some(), "{}: `{lang}` registered", p.id);
                let s = Session::new(std::sync::Arc::new(p.clone()));
                let item = s.current().unwrap();
                let a = answers(item, lang);
                assert!(a.contains(&word(lang, "yes")) && a.contains(&word(lang, "declined")), "{lang}: {a}");
            }
        }
    }

    /// What is read out is what the buttons offer: every token's word, and no word for a token
    /// the item does not offer (a text answer has no "not sure").
    #[test]
    fn the_spoken_answers_are_the_items_own_tokens() {
        let lib = crate::content::shipped().unwrap();
        let mut text = lib.protocol("adult-roadside").unwrap().items[0].clone();
        text.answer = AnswerSpec::Text;
        let said = answers(&text, "es");
        assert!(said.contains(&word("es", "declined")) && said.contains(&word("es", "yourAnswer")), "{said}");
        assert!(!said.contains(&word("es", "not-sure")), "a text answer offers no not-sure: {said}");
        for p in &lib.protocols {
            for it in p.items.iter().filter(|i| i.kind != ItemKind::Observation) {
                let said = answers(it, "ar");
                for t in it.answer.tokens() {
                    if let Some(k) = person_word_key(*t) {
                        assert!(said.contains(&word("ar", k)), "{} {}: {said}", p.id, it.id);
                    }
                }
            }
        }
    }

    #[test]
    fn observations_are_never_read_and_a_language_without_a_voice_says_so() {
        let lib = crate::content::shipped().unwrap();
        let p = lib.protocol("adult-roadside").unwrap();
        let s = Session::new(std::sync::Arc::new(p.clone()));
        match prepare(&lib, &s, "ar", SpeakPart::Question).unwrap() {
            Speech::Synthesize { voice, text } => {
                assert_eq!(voice, "ar");
                assert_eq!(text, s.current().unwrap().text["ar"]);
            }
            other => panic!("{other:?}"),
        }
        let e = prepare(&lib, &s, "tl", SpeakPart::Question).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NoVoice);
    }
}

#[cfg(test)]
mod recorded {
    use super::*;

    /// A protocol folder with a recording of the first question in Tagalog (which has no
    /// offline voice): the recording is played, and the other parts say there is no voice.
    #[test]
    fn recorded_audio_comes_first_and_is_played_from_the_protocol_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../screening-protocols");
        for (p, text) in durable::read_toml_files(&shipped).unwrap() {
            let rel = p.strip_prefix(&shipped).unwrap();
            std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
            std::fs::write(root.join(rel), text).unwrap();
        }
        let proto = root.join("adult-roadside/protocol.toml");
        let text = std::fs::read_to_string(&proto).unwrap();
        let tl = text.lines().find(|l| l.starts_with("text.tl = ")).unwrap().to_string();
        std::fs::write(&proto, text.replacen(&tl, &format!("{tl}\naudio.tl = \"audio/tl/in-danger.wav\""), 1)).unwrap();
        let wav = voice::synthesize("en-us", "A recording stands in here.").unwrap().0;
        std::fs::create_dir_all(root.join("adult-roadside/audio/tl")).unwrap();
        std::fs::write(root.join("adult-roadside/audio/tl/in-danger.wav"), &wav).unwrap();

        let lib = crate::content::from_folder(root).unwrap();
        let p = lib.protocol("adult-roadside").unwrap();
        let s = Session::new(std::sync::Arc::new(p.clone()));
        let view = crate::view::session_view(&s, crate::view::language_view(&lib, "tl"), None, 0, false);
        assert!(view.current.as_ref().unwrap().recorded_audio);
        assert!(!view.language_info.read_aloud, "Tagalog has no offline voice");
        let speech = prepare(&lib, &s, "tl", SpeakPart::Question).unwrap();
        assert_eq!(speech, Speech::Recorded(root.join("adult-roadside/audio/tl/in-danger.wav")));
        assert_eq!(render(speech).unwrap(), wav, "the recording's own bytes");
        assert_eq!(prepare(&lib, &s, "tl", SpeakPart::Answers).unwrap_err().kind, ErrorKind::NoVoice);
        // In a language with a voice but no recording, the voice reads the question.
        assert!(matches!(prepare(&lib, &s, "ar", SpeakPart::Question).unwrap(), Speech::Synthesize { .. }));
        // A recording that does not play is refused with its path, not played.
        std::fs::write(root.join("adult-roadside/audio/tl/in-danger.wav"), b"RIFF....WAVE").unwrap();
        let e = render(prepare(&lib, &s, "tl", SpeakPart::Question).unwrap()).unwrap_err();
        assert!(e.message.contains("in-danger.wav"), "{}", e.message);
    }
}
