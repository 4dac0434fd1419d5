//! Building the views the UI shows from engine state: the same for a saved screening and a
//! training one.

use screening::model::{AnswerSpec, ItemKind};
use screening::{Protocol, Session, Status};

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

/// The screen for a session in language `lang`.
pub fn session_view(s: &Session, lang: &str, draft_id: Option<String>, saved_events: u64, handover: bool) -> SessionView {
    let p = s.protocol();
    let words = |m: &std::collections::BTreeMap<String, String>| m.get(lang).or_else(|| m.get("en")).cloned();
    let current = s.current().map(|it| {
        let sec = &p.sections[it.section];
        let text = match it.kind {
            ItemKind::Observation => it.label.clone(),
            _ => words(&it.text).unwrap_or_default(),
        };
        let (kind, choices, min, max) = match &it.answer {
            AnswerSpec::Choice(c) => (
                "choice",
                c.iter().map(|c| ChoiceView { id: c.id.clone(), text: words(&c.text).unwrap_or_else(|| c.id.clone()) }).collect(),
                None,
                None,
            ),
            AnswerSpec::Number { min, max } => ("number", Vec::new(), *min, *max),
            other => (other.name(), Vec::new(), None, None),
        };
        ItemView {
            id: it.id.clone(),
            kind: it.kind,
            label: it.label.clone(),
            section: SectionView { id: sec.id.clone(), title: sec.title.clone(), safety: sec.safety },
            text,
            guidance: it.guidance.clone(),
            answer: AnswerView { kind: kind.to_string(), choices, min, max },
            options: it.answer.tokens().iter().map(|t| t.token().to_string()).collect(),
            current: s.answer_of(&it.id).cloned(),
        }
    });
    let (index, total) = s.progress();
    let status = s.status();
    SessionView {
        draft_id,
        protocol: ProtocolHeading { id: p.id.clone(), version: p.version.clone(), title: p.title.clone() },
        language: lang.to_string(),
        current,
        position: Position { index, total },
        can_go_back: s.can_go_back(),
        status,
        stop_rule: if status == Status::Concluded { s.stop_rule().map(|r| StopView { id: r.id.clone(), reason: r.reason.clone() }) } else { None },
        saved_events,
        handover,
    }
}

/// A QR code of `text` (medium error correction: survives a crease or a smudge on a card).
pub fn qr(text: &str) -> Result<QrCode, CommandError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| CommandError::new("internal", format!("QR code: {e}")))?;
    let modules = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
    Ok(QrCode { size: code.width(), modules, text: text.to_string() })
}
