//! Read-aloud latency: from the call to the first audio sample, for a 30-word question in
//! English and one in Arabic. The whole WAV is handed to the player, so the first sample is
//! there when `voice::synthesize` returns; the figure is the median of the runs.
//!
//! `cargo bench -p voice`; `cargo test -p voice --benches` runs it once.

use std::time::Instant;

use benchkit::Better;

/// 30 words each.
const EN: &str = "When you first came here, did anyone take your passport or papers, or tell you that you could not leave the job until you paid back money you owe them?";
const AR: &str = "عندما أتيت إلى هنا، هل أخذ أحد جواز سفرك أو أوراقك، أو قال لك إنك لا تستطيع ترك العمل حتى تدفع المال الذي تدين به له، أو هدد عائلتك بالأذى؟";

fn main() {
    assert_eq!(EN.split_whitespace().count(), 30, "the English question");
    assert_eq!(AR.split_whitespace().count(), 30, "the Arabic question");
    let runs = benchkit::size(21, 1);
    for (name, voice, text) in [("English", "en", EN), ("Arabic", "ar", AR)] {
        voice::synthesize(voice, text).expect("warm-up");
        let mut times = Vec::new();
        let mut seconds = 0.0;
        for _ in 0..runs {
            let start = Instant::now();
            let wav = voice::synthesize(voice, text).expect("speech");
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            let info = voice::check_wav(&wav.0).expect("checked");
            seconds = info.frames as f64 / info.sample_rate as f64;
        }
        benchkit::report(
            &format!("read aloud: first sample, 30-word {name} question"),
            benchkit::median(&times),
            "ms",
            Some(300.0),
            Better::Lower,
            &format!("eSpeak NG, median of {runs}; {seconds:.1} s of speech"),
        );
    }
}
