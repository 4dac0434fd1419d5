//! Building the views the UI shows from engine state: the same for a saved screening and a
//! training one.

use screening::model::{AnswerSpec, ItemKind};
use screening::{Direction, Library, Protocol, Session, Status, TranslationStatus};

use crate::dto::*;

pub fn protocol_summary(p: &Protocol) -> ProtocolSummary {
    ProtocolSummary {
        id: p.id.clone(),
        version: p.version.clone(),
        title: p.title.clone(),
        summary: p.summary.clone(),
        population: p.population,
        languages: p.languages.clone(),
        asked_items: p.asked_items(),
    }
}

/// `code` as the registry describes it; a language the registry does not know is shown by its
/// code, left to right, and never as reviewed.
pub fn language_view(lib: &Library, code: &str) -> LanguageView {
    match lib.language(code) {
        Some(l) => LanguageView {
            code: l.code.clone(),
            name: l.name.clone(),
            english: l.english.clone(),
            direction: l.direction,
            status: l.status.clone(),
            read_aloud: l.voice.is_some(),
        },
        None => LanguageView {
            code: code.to_string(),
            name: code.to_string(),
            english: code.to_string(),
            direction: Direction::Ltr,
            status: TranslationStatus::Unreviewed,
            read_aloud: false,
        },
    }
}

/// The screen for a session in `language`.
pub fn session_view(
    s: &Session,
    language: LanguageView,
    draft_id: Option<String>,
    saved_events: u64,
    handover: bool,
) -> SessionView {
    let p = s.protocol();
    let lang = language.code.as_str();
    let words = |m: &std::collections::BTreeMap<String, String>| m.get(lang).or_else(|| m.get("en")).cloned();
    let current = s.current().map(|it| {
        let sec = &p.sections[it.section];
        let text = match it.kind {
            ItemKind::Observation => it.label.clone(),
            _ => words(&it.text).unwrap_or_default(),
        };
        let (choices, min, max) = match &it.answer {
            AnswerSpec::Choice(c) => (
                c.iter()
                    .map(|c| ChoiceView { id: c.id.clone(), text: words(&c.text).unwrap_or_else(|| c.id.clone()) })
                    .collect(),
                None,
                None,
            ),
            AnswerSpec::Number { min, max } => (Vec::new(), *min, *max),
            _ => (Vec::new(), None, None),
        };
        ItemView {
            id: it.id.clone(),
            kind: it.kind,
            label: it.label.clone(),
            section: SectionView { id: sec.id.clone(), title: sec.title.clone(), safety: sec.safety },
            text,
            guidance: it.guidance.clone(),
            answer: AnswerView { kind: AnswerType::from(&it.answer), choices, min, max },
            options: it.answer.tokens().iter().filter_map(|t| AnswerToken::of(*t)).collect(),
            current: s.answer_of(&it.id).cloned(),
            recorded_audio: it.audio.contains_key(lang),
        }
    });
    let (index, total) = s.progress();
    let status = s.status();
    SessionView {
        draft_id,
        protocol: ProtocolHeading { id: p.id.clone(), version: p.version.clone(), title: p.title.clone() },
        language: lang.to_string(),
        language_info: language.clone(),
        current,
        position: Position { index, total },
        can_go_back: s.can_go_back(),
        status,
        stop_rule: if status == Status::Concluded {
            s.stop_rule().map(|r| StopView { id: r.id.clone(), reason: r.reason.clone() })
        } else {
            None
        },
        saved_events,
        handover,
    }
}

/// A QR code of `text` (medium error correction: survives a crease or a smudge on a card).
pub fn qr(text: &str) -> Result<QrCode, CommandError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| CommandError::new(ErrorKind::Internal, format!("QR code: {e}")))?;
    let modules = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
    Ok(QrCode { size: code.width(), modules, text: text.to_string() })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use screening::Answer;
    use serde_json::json;

    /// The first answer a person could give to the item on screen, in the UI's JSON shape.
    fn first_answer(item: &ItemView) -> Answer {
        let v = match item.answer.kind {
            AnswerType::Choice => json!({"kind": "choice", "value": item.answer.choices[0].id}),
            AnswerType::Number => json!({"kind": "number", "value": item.answer.min.unwrap_or(0.0) + 30.0}),
            AnswerType::Text => json!({"kind": "text", "value": "short"}),
            AnswerType::YesNo | AnswerType::Observation | AnswerType::Read => json!({"kind": item.options[0]}),
        };
        serde_json::from_value(v).expect("the UI's answer shape deserializes")
    }

    #[test]
    fn every_shipped_protocol_walks_to_an_outcome_in_each_language_with_words_on_every_screen() {
        let lib = crate::content::shipped().unwrap();
        assert!(lib.protocols.len() >= 2);
        for p in &lib.protocols {
            for lang in &p.languages {
                let mut s = Session::new(Arc::new(p.clone()));
                let mut view = session_view(&s, language_view(&lib, lang), None, 0, false);
                assert!(view.current.as_ref().unwrap().section.safety, "{}: safety comes first", p.id);
                while let Some(item) = view.current.clone() {
                    assert!(!item.text.is_empty(), "{} {}: no words for {lang}", p.id, item.id);
                    assert!(!item.guidance.why.is_empty());
                    s.answer(&item.id, first_answer(&item)).unwrap();
                    view = session_view(&s, language_view(&lib, lang), None, 0, false);
                    assert!(s.log().len() < 200);
                }
                assert_ne!(view.status, Status::InProgress);
                assert!(!s.outcome(None).partial, "{}: walked to the end", p.id);
            }
        }
    }

    #[test]
    fn spanish_words_and_wire_shapes() {
        let lib = crate::content::shipped().unwrap();
        let s = Session::new(Arc::new(lib.protocol("adult-roadside").unwrap().clone()));
        let v = serde_json::to_value(session_view(&s, language_view(&lib, "es"), Some("d".into()), 3, true)).unwrap();
        for key in [
            "draft_id",
            "protocol",
            "language",
            "language_info",
            "current",
            "position",
            "can_go_back",
            "status",
            "stop_rule",
            "saved_events",
            "handover",
        ] {
            assert!(v.get(key).is_some(), "SessionView.{key}");
        }
        assert_eq!(v["status"], "in-progress");
        assert!(v["current"]["answer"]["type"].is_string());
        assert!(
            v["current"]["text"].as_str().unwrap().chars().any(|c| "¿áéíóúñ".contains(c)),
            "Spanish words: {}",
            v["current"]["text"]
        );
    }

    #[test]
    fn qr_code_is_square_and_holds_the_text() {
        let q = qr("National Human Trafficking Hotline tel:1-888-373-7888 text:233733").unwrap();
        assert_eq!(q.modules.len(), q.size * q.size);
        assert!(q.size >= 21 && q.modules.iter().any(|m| *m) && q.modules.iter().any(|m| !*m));
    }
}
