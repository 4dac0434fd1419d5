//! A screening held in memory only, never saved: what training runs on.

use std::sync::Arc;

use screening::{Answer, Library, Outcome, Session};

use crate::dto::{CommandError, ProtocolSummary, SessionView};
use crate::view::{protocol_summary, session_view};

/// The open screening, if any, and the content it runs on.
pub struct Screen {
    library: Library,
    session: Option<(Session, String)>,
}

impl Screen {
    pub fn new(library: Library) -> Screen {
        Screen { library, session: None }
    }

    pub fn protocols(&self) -> Vec<ProtocolSummary> {
        self.library.protocols.iter().map(protocol_summary).collect()
    }

    pub fn start(&mut self, protocol_id: &str, language: &str) -> Result<SessionView, CommandError> {
        let p = self
            .library
            .protocol(protocol_id)
            .ok_or_else(|| CommandError::new("unknown-protocol", format!("no protocol `{protocol_id}`")))?;
        if !p.languages.iter().any(|l| l == language) {
            return Err(CommandError::new(
                "unknown-language",
                format!("protocol `{protocol_id}` has no `{language}`; it has {}", p.languages.join(", ")),
            ));
        }
        self.session = Some((Session::new(Arc::new(p.clone())), language.to_string()));
        self.view()
    }

    fn session_mut(&mut self) -> Result<&mut Session, CommandError> {
        self.session.as_mut().map(|(s, _)| s).ok_or_else(no_session)
    }

    pub fn answer(&mut self, item_id: &str, answer: Answer) -> Result<SessionView, CommandError> {
        self.session_mut()?.answer(item_id, answer)?;
        self.view()
    }

    pub fn back(&mut self) -> Result<SessionView, CommandError> {
        self.session_mut()?.back()?;
        self.view()
    }

    pub fn stop(&mut self) -> Result<SessionView, CommandError> {
        self.session_mut()?.stop()?;
        self.view()
    }

    pub fn outcome(&self) -> Result<Outcome, CommandError> {
        let (s, _) = self.session.as_ref().ok_or_else(no_session)?;
        Ok(s.outcome(self.library.policy("default")))
    }

    /// Drops the screening and everything it held.
    pub fn end(&mut self) {
        self.session = None;
    }

    pub fn view(&self) -> Result<SessionView, CommandError> {
        let (s, lang) = self.session.as_ref().ok_or_else(no_session)?;
        Ok(session_view(s, lang, None, 0, false))
    }
}

fn no_session() -> CommandError {
    CommandError::new("no-session", "no screening is open; start one first")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::ItemView;
    use screening::Status;
    use serde_json::json;

    fn screen() -> Screen {
        Screen::new(crate::content::shipped().expect("shipped content is valid"))
    }

    /// The first answer a person could give to the item on screen.
    fn first_answer(item: &ItemView) -> Answer {
        let v = match item.answer.kind.as_str() {
            "choice" => json!({"kind": "choice", "value": item.answer.choices[0].id}),
            "number" => json!({"kind": "number", "value": item.answer.min.unwrap_or(0.0) + 30.0}),
            "text" => json!({"kind": "text", "value": "short"}),
            _ => json!({"kind": item.options[0]}),
        };
        serde_json::from_value(v).expect("the UI's answer shape deserializes")
    }

    #[test]
    fn walks_every_shipped_protocol_to_an_outcome_in_each_language() {
        let mut s = screen();
        let protocols = s.protocols();
        assert!(protocols.len() >= 2);
        for p in protocols {
            for lang in &p.languages {
                let mut view = s.start(&p.id, lang).unwrap();
                assert!(view.current.as_ref().unwrap().section.safety, "{}: safety comes first", p.id);
                let mut steps = 0;
                while let Some(item) = view.current.clone() {
                    assert!(!item.text.is_empty(), "{} {}: no words for {lang}", p.id, item.id);
                    assert!(!item.guidance.why.is_empty());
                    view = s.answer(&item.id, first_answer(&item)).unwrap();
                    steps += 1;
                    assert!(steps < 200);
                }
                assert_ne!(view.status, Status::InProgress);
                let o = s.outcome().unwrap();
                assert!(!o.partial, "{}: walked to the end", p.id);
                s.end();
            }
        }
    }

    #[test]
    fn stop_back_and_errors_cross_the_boundary_as_kinds() {
        let mut s = screen();
        assert_eq!(s.outcome().unwrap_err().kind, "no-session");
        assert_eq!(s.start("nope", "en").unwrap_err().kind, "unknown-protocol");
        assert_eq!(s.start("adult-roadside", "fr").unwrap_err().kind, "unknown-language");
        let v = s.start("adult-roadside", "es").unwrap();
        assert!(!v.can_go_back);
        assert_eq!(s.back().unwrap_err().kind, "at-start");
        let first = v.current.unwrap();
        assert_eq!(s.answer(&first.id, Answer::Seen).unwrap_err().kind, "invalid-answer");
        assert_eq!(s.answer("ghost", Answer::Yes).unwrap_err().kind, "unknown-item");
        let v = s.answer(&first.id, Answer::Declined).unwrap();
        assert!(v.can_go_back);
        let v = s.stop().unwrap();
        assert_eq!(v.status, Status::Stopped);
        let o = s.outcome().unwrap();
        assert!(o.stopped && o.partial);
        assert_eq!(o.declined[0].item, first.id);
        assert_eq!(s.answer(&first.id, Answer::No).unwrap_err().kind, "stopped");
        s.end();
        assert_eq!(s.view().unwrap_err().kind, "no-session");
    }

    #[test]
    fn dto_shapes_match_the_ui_contract() {
        let mut s = screen();
        let v = serde_json::to_value(s.start("adult-roadside", "es").unwrap()).unwrap();
        for key in ["protocol", "language", "current", "position", "can_go_back", "status", "stop_rule"] {
            assert!(v.get(key).is_some(), "SessionView.{key}");
        }
        let item = &v["current"];
        for key in ["id", "kind", "label", "section", "text", "guidance", "answer", "options", "current"] {
            assert!(item.get(key).is_some(), "ItemView.{key}");
        }
        assert_eq!(v["status"], "in-progress");
        assert!(item["answer"]["type"].is_string());
        assert!(item["text"].as_str().unwrap().chars().any(|c| "¿áéíóúñ".contains(c)), "Spanish words: {}", item["text"]);
        let o = serde_json::to_value(s.outcome().unwrap()).unwrap();
        for key in ["protocol", "level", "indicators", "declined", "not_sure", "stopped", "partial", "stop_rule", "unanswered", "actions", "non_arrest_guidance"] {
            assert!(o.get(key).is_some(), "Outcome.{key}");
        }
        for g in ["force", "fraud", "coercion", "purpose", "minor", "safety"] {
            assert!(o["indicators"][g].is_array(), "indicators.{g}");
        }
        for (raw, want) in [
            (json!({"kind": "yes"}), Answer::Yes),
            (json!({"kind": "not-sure"}), Answer::NotSure),
            (json!({"kind": "declined"}), Answer::Declined),
            (json!({"kind": "choice", "value": "a"}), Answer::Choice("a".into())),
            (json!({"kind": "number", "value": 4}), Answer::Number(4.0)),
        ] {
            assert_eq!(serde_json::from_value::<Answer>(raw).unwrap(), want);
        }
    }

    #[test]
    fn every_command_the_ui_calls_is_registered() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let ipc = std::fs::read_to_string(root.join("../ui/src/lib/ipc.ts")).unwrap();
        let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
        let mut called: Vec<String> = ipc.split("invoke('").skip(1).map(|s| s[..s.find('\'').unwrap()].to_string()).collect();
        let handler = &lib[lib.find("generate_handler![").unwrap()..];
        let handler = &handler["generate_handler![".len()..handler.find(']').unwrap()];
        let mut registered: Vec<String> = handler.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        called.sort();
        registered.sort();
        assert_eq!(called, registered, "ui/src/lib/ipc.ts and the registered commands differ");
    }
}
