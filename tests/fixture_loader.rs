use isoguard::fixture;
use std::path::PathBuf;

#[test]
fn all_build() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| fixture::is_fixture_dir(p))
        .collect();
    names.sort();
    let mut failed = 0;
    for p in names {
        let t = std::time::Instant::now();
        match fixture::materialize_temp(&p) {
            Ok(m) => println!("{} ok {:?} {}", p.display(), t.elapsed(), m.root.display()),
            Err(e) => {
                failed += 1;
                println!("{} FAILED {e}", p.display())
            }
        }
    }
    assert_eq!(failed, 0);
}
