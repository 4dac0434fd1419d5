//! Training mode: a scenario played through the engine, held in memory only. It needs no
//! secret, opens no vault and writes nothing to the data folder.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use screening::training::{debrief_session, Scenario};
use screening::{Answer, Event, Library, Session};

use crate::dto::*;
use crate::view::{language_view, session_view};

struct Run {
    scenario: String,
    /// The person's language for this run: the scenario's, or another of its protocol's.
    language: String,
    session: Session,
    /// Time spent per section index, counted from the moment an item shows until it is left.
    spent: BTreeMap<usize, Duration>,
    shown_at: Instant,
}

pub struct Training {
    library: Library,
    run: Option<Run>,
}

fn no_run() -> CommandError {
    CommandError::new(ErrorKind::NoSession, "no training scenario is running; choose one first")
}

impl Training {
    pub fn new(library: Library) -> Training {
        Training { library, run: None }
    }

    /// The words of `part` of the current item to read aloud, so trainers can demo it.
    pub fn speech(&self, part: SpeakPart) -> Result<crate::speech::Speech, CommandError> {
        let run = self.run.as_ref().ok_or_else(no_run)?;
        crate::speech::prepare(&self.library, &run.session, &run.language, part)
    }

    pub fn scenarios(&self) -> Vec<ScenarioSummary> {
        self.library
            .scenarios
            .iter()
            .map(|s| ScenarioSummary {
                id: s.id.clone(),
                title: s.title.clone(),
                summary: s.summary.clone(),
                protocol_id: s.protocol.clone(),
                protocol_title: self.library.protocol(&s.protocol).map(|p| p.title.clone()).unwrap_or_default(),
                language: s.language.clone(),
                languages: self
                    .library
                    .protocol(&s.protocol)
                    .map(|p| p.languages.iter().map(|l| language_view(&self.library, l)).collect())
                    .unwrap_or_default(),
                trainer: s.trainer.clone(),
                learning: s.learning.clone(),
            })
            .collect()
    }

    fn scenario(&self, id: &str) -> Result<&Scenario, CommandError> {
        self.library
            .scenario(id)
            .ok_or_else(|| CommandError::new(ErrorKind::UnknownScenario, format!("no training scenario `{id}`")))
    }

    /// Starts a run in the scenario's language, or in `language` when the trainer picks another
    /// of the protocol's languages (to demo it, read aloud included).
    pub fn begin(
        &mut self,
        scenario_id: &str,
        language: Option<&str>,
        now: Instant,
    ) -> Result<TrainingView, CommandError> {
        let s = self.scenario(scenario_id)?;
        let p = self
            .library
            .protocol(&s.protocol)
            .ok_or_else(|| CommandError::new(ErrorKind::UnknownProtocol, format!("no protocol `{}`", s.protocol)))?;
        let language = language.unwrap_or(&s.language).to_string();
        if !p.languages.contains(&language) {
            return Err(CommandError::new(
                ErrorKind::UnknownLanguage,
                format!("protocol `{}` has no `{language}`; it has {}", p.id, p.languages.join(", ")),
            ));
        }
        self.run = Some(Run {
            scenario: s.id.clone(),
            language,
            session: Session::new(Arc::new(p.clone())),
            spent: BTreeMap::new(),
            shown_at: now,
        });
        self.view()
    }

    fn run_mut(&mut self) -> Result<&mut Run, CommandError> {
        self.run.as_mut().ok_or_else(no_run)
    }

    /// Applies an event, charging the time since the item showed to its section.
    fn apply(&mut self, e: Event, now: Instant) -> Result<TrainingView, CommandError> {
        let run = self.run_mut()?;
        let section = run.session.current().map(|i| i.section);
        run.session.apply(e)?;
        if let Some(sec) = section {
            *run.spent.entry(sec).or_default() += now.saturating_duration_since(run.shown_at);
        }
        run.shown_at = now;
        self.view()
    }

    pub fn answer(&mut self, item: &str, answer: Answer, now: Instant) -> Result<TrainingView, CommandError> {
        self.apply(Event::Answer { item: item.to_string(), answer }, now)
    }

    pub fn back(&mut self, now: Instant) -> Result<TrainingView, CommandError> {
        self.apply(Event::Back, now)
    }

    pub fn stop(&mut self, now: Instant) -> Result<TrainingView, CommandError> {
        self.apply(Event::Stop, now)
    }

    pub fn view(&self) -> Result<TrainingView, CommandError> {
        let run = self.run.as_ref().ok_or_else(no_run)?;
        let s = self.scenario(&run.scenario)?;
        let p = run.session.protocol();
        let person = run.session.current().map(|it| PersonCue {
            says: s.person_answer(p, &it.id),
            observe: s.cue(&it.id).map(|c| c.cue.clone()),
            stops_here: s.stops_after() == Some(it.id.as_str()),
        });
        Ok(TrainingView {
            scenario: ScenarioBrief {
                id: s.id.clone(),
                title: s.title.clone(),
                summary: s.summary.clone(),
                language: run.language.clone(),
                trainer: s.trainer.clone(),
                learning: s.learning.clone(),
            },
            session: session_view(&run.session, language_view(&self.library, &run.language), None, 0, false),
            person,
        })
    }

    /// The trainee's walk against what the scenario expects, the language check of their
    /// notes, and the time per section.
    pub fn debrief(&self, notes: &str) -> Result<TrainingDebrief, CommandError> {
        let run = self.run.as_ref().ok_or_else(no_run)?;
        let s = self.scenario(&run.scenario)?;
        let p = run.session.protocol();
        let sections: Vec<SectionTime> = run
            .spent
            .iter()
            .map(|(i, d)| SectionTime {
                id: p.sections[*i].id.clone(),
                title: p.sections[*i].title.clone(),
                seconds: d.as_secs_f64(),
            })
            .collect();
        Ok(TrainingDebrief {
            debrief: debrief_session(s, &run.session),
            note_flags: self.library.glossary.check(notes, "en"),
            total_seconds: sections.iter().map(|s| s.seconds).sum(),
            sections,
        })
    }

    /// Forgets the run.
    pub fn end(&mut self) {
        self.run = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use screening::training;

    fn training() -> Training {
        Training::new(crate::content::shipped().expect("shipped content is valid"))
    }

    /// Plays every shipped scenario the way it is written, through the app's view: the
    /// person's answers come from the view itself, as the UI gets them.
    #[test]
    fn every_scenario_played_from_its_own_cues_matches_its_expected_outcome() {
        let mut t = training();
        let all = t.scenarios();
        assert!(all.len() >= 10);
        for sc in all {
            let t0 = Instant::now();
            let mut v = t.begin(&sc.id, None, t0).unwrap();
            assert_eq!(v.session.language, sc.language);
            let mut steps = 0u64;
            while let Some(item) = v.session.current.clone() {
                steps += 1;
                let cue = v.person.clone().unwrap();
                let now = t0 + Duration::from_secs(steps * 10);
                v = match cue.says {
                    Some(a) => t.answer(&item.id, a, now).unwrap(),
                    None => break,
                };
                if cue.stops_here {
                    v = t.stop(now).unwrap();
                }
                assert!(steps < 200);
            }
            let d = t.debrief("").unwrap();
            let want = training::run(
                t.library.scenario(&sc.id).unwrap(),
                &Arc::new(t.library.protocol(&sc.protocol_id).unwrap().clone()),
            );
            assert_eq!(d.debrief.found_groups, want.found_groups, "{}", sc.id);
            assert_eq!(d.debrief.matched, want.matched, "{}: {:?}", sc.id, d.debrief.mismatches);
            assert!(d.total_seconds > 0.0);
            t.end();
        }
    }

    #[test]
    fn the_debrief_shows_missed_observations_flags_and_time_per_section() {
        let mut t = training();
        let sc = t.library.scenarios.iter().find(|s| s.observe.iter().any(|c| c.answer == "seen")).unwrap().id.clone();
        let t0 = Instant::now();
        let mut v = t.begin(&sc, None, t0).unwrap();
        let mut n = 0;
        // A trainee who answers every observation "not seen", whatever the cue shows.
        while let Some(item) = v.session.current.clone() {
            n += 1;
            let cue = v.person.clone().unwrap();
            let a = if cue.observe.is_some() { Answer::NotSeen } else { cue.says.unwrap_or(Answer::Declined) };
            v = t.answer(&item.id, a, t0 + Duration::from_secs(n * 5)).unwrap();
        }
        let d = t.debrief("She said her boyfriend pimp kept her ID.").unwrap();
        assert!(!d.debrief.observations_missed.is_empty(), "observations the cue showed are listed as missed");
        assert!(!d.note_flags.is_empty(), "the notes' harmful term is flagged");
        assert!(d.sections.len() >= 2);
        assert!((d.total_seconds - (n * 5) as f64).abs() < 1e-6, "every second is charged to a section");
        assert_eq!(t.answer("ghost", Answer::Yes, t0).unwrap_err().kind, "unknown-item");
        t.end();
        assert_eq!(t.debrief("").unwrap_err().kind, "no-session");
        assert_eq!(t.begin("nope", None, t0).unwrap_err().kind, "unknown-scenario");
        let sc = &t.library.scenarios[0].id.clone();
        assert_eq!(t.begin(sc, Some("xx"), t0).unwrap_err().kind, "unknown-language");
        let v = t.begin(sc, Some("ar"), t0).unwrap();
        assert_eq!(v.session.language, "ar");
        assert_eq!(v.scenario.language, "ar");
        assert_eq!(v.session.language_info.direction, screening::Direction::Rtl);
        assert!(
            v.session.current.unwrap().text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
            "Arabic words"
        );
        assert!(
            matches!(t.speech(SpeakPart::Question).unwrap(), crate::speech::Speech::Synthesize { voice, .. } if voice == "ar")
        );
    }
}
