// Prints the history section of a root tree as JSON, and how long reading it took:
// `cargo run --release --example history_dump -- DIR`. Knobs: NOW (Unix seconds, default the
// clock), LOOK_BACK_DAYS, TIME_BUDGET_MS (the Limits defaults otherwise).
#![allow(clippy::unwrap_used, clippy::expect_used)]
fn main() {
    let dir = std::env::args().nth(1).expect("a root folder");
    let host = isoguard::platform::linux::HostRoot::at(dir);
    let mut limits = isoguard::inventory::history::Limits::default();
    if let Ok(ms) = std::env::var("TIME_BUDGET_MS") {
        limits.time_budget =
            std::time::Duration::from_millis(ms.parse().expect("TIME_BUDGET_MS is a number"));
    }
    if let Ok(days) = std::env::var("LOOK_BACK_DAYS") {
        limits.look_back_days = days.parse().expect("LOOK_BACK_DAYS is a number");
    }
    let started = std::time::Instant::now();
    let now = match std::env::var("NOW") {
        Ok(secs) => {
            std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(secs.parse().expect("NOW is Unix seconds"))
        }
        Err(_) => std::time::SystemTime::now(),
    };
    let section = isoguard::platform::linux::history::collect(&host, now, &limits);
    let took = started.elapsed();
    println!("{}", serde_json::to_string_pretty(&section).unwrap());
    eprintln!("collected in {took:?}");
}
