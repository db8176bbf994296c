//! `isoguard-collector`: the security office's side. See `isoguard::collector`.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
