//! `cargo xtask fuzz`: the fuzz targets in `fuzz/`, each for a bounded time.
//!
//! cargo-fuzz is installed (pinned) into `.local-stack/cargo-tools/`. It
//! needs nightly flags, and this project builds with stable Rust only, so
//! it runs with `RUSTC_BOOTSTRAP=1`. The targets build into `target/fuzz/`,
//! each target's working corpus (its checked-in seeds plus what the fuzzer
//! found) lives in `target/fuzz/corpus/<target>/`, crash inputs land in
//! `target/fuzz/artifacts/<target>/` and libFuzzer's output in
//! `target/fuzz/logs/<target>.log`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context};

use crate::paths::{clean_cargo_env, Paths};

/// The cargo-fuzz release used, installed from source with its lock file.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// The fuzz targets, in the order they run.
pub const TARGETS: &[&str] = &[
    "invocation_envelope",
    "invocation_envelope_official",
    "record_decoder",
    "link_token",
];

/// The seeds of `target`: the official SDK's envelope target reads the same
/// envelopes as ours.
fn seeds_of(target: &str) -> &str {
    match target {
        "invocation_envelope_official" => "invocation_envelope",
        other => other,
    }
}

/// No sanitizer. The targets and the code they reach are safe Rust (the
/// `unsafe` is in dependencies), so what AddressSanitizer adds is little
/// beside the panics, overflow checks and debug assertions the fuzz build
/// keeps on, and it costs much. Measured on this project's 2-core machine,
/// each build from scratch while another build shared the machine: ASan took 19.4
/// minutes to build against 13.8, and in 30 s from the seeds ran 4.7 to 5
/// times fewer inputs (invocation_envelope 130k against 616k, record_decoder
/// 123k against 563k, link_token 1.3M against 6.7M) at 500 MB peak RSS
/// against 30 to 50 MB.
const SANITIZER: &str = "none";

/// Seconds per target that `cargo xtask test` fuzzes for: enough for each
/// target to run its seeds (the regression cases among them) and a few
/// hundred thousand more inputs. The build is most of the step: on a fresh
/// clone on the 2-core machine it took 515 s in all, 48 s installing
/// cargo-fuzz, 404 s building, 63 s fuzzing.
pub const CI_SECONDS: u64 = 20;

pub struct Options {
    pub seconds: u64,
    /// Which targets; all of them when empty.
    pub targets: Vec<String>,
}

/// What one target's run did, from libFuzzer's final statistics.
#[derive(Debug, Default, PartialEq)]
pub struct RunStats {
    pub executions: u64,
    pub exec_per_sec: u64,
    pub peak_rss_mb: u64,
    /// Inputs in the corpus at the end, as libFuzzer counted them.
    pub corpus: Option<u64>,
}

pub fn run(paths: &Paths, options: &Options) -> anyhow::Result<()> {
    let targets: Vec<&str> = if options.targets.is_empty() {
        TARGETS.to_vec()
    } else {
        TARGETS
            .iter()
            .copied()
            .filter(|t| options.targets.iter().any(|wanted| wanted == t))
            .collect()
    };
    let cargo_fuzz = ensure_cargo_fuzz(paths)?;
    let dir = fuzz_target_dir();
    eprintln!(
        "Building the fuzz targets into {} (several minutes the first time)...",
        dir.display()
    );
    let started = Instant::now();
    let mut build = cargo_fuzz_command(paths, &cargo_fuzz);
    build
        .args(["build", "--fuzz-dir", "fuzz", "--sanitizer", SANITIZER])
        .arg("--target-dir")
        .arg(&dir)
        // Errors and warnings only, not a line per crate.
        .env("CARGO_TERM_QUIET", "true");
    if let [only] = targets.as_slice() {
        build.arg(only);
    }
    let status = build.status().context("could not start cargo-fuzz build")?;
    if !status.success() {
        bail!("building the fuzz targets failed ({status})");
    }
    eprintln!(
        "Built the fuzz targets in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    let mut crashed = Vec::new();
    for target in targets {
        match run_target(paths, &dir, target, options.seconds)? {
            FuzzRun::Clean(stats) => println!("{}", summary(target, &stats, 0)),
            FuzzRun::Crashed {
                stats,
                artifact,
                log,
            } => {
                println!("{}", summary(target, &stats, 1));
                crashed.push(format!(
                    "{target}: {} (libFuzzer's output: {}; reproduce with `{} {}`)",
                    artifact.display(),
                    log.display(),
                    binary(&dir, target).display(),
                    artifact.display()
                ));
            }
        }
    }
    if !crashed.is_empty() {
        bail!("fuzzing found crashes:\n  {}", crashed.join("\n  "));
    }
    Ok(())
}

/// Where cargo-fuzz builds, apart from the workspace's own builds.
fn fuzz_target_dir() -> PathBuf {
    hitl_e2e::target_dir().join("fuzz")
}

fn binary(dir: &Path, target: &str) -> PathBuf {
    dir.join("x86_64-unknown-linux-gnu/release").join(target)
}

fn cargo_fuzz_command(paths: &Paths, cargo_fuzz: &Path) -> Command {
    let mut command = Command::new(cargo_fuzz);
    clean_cargo_env(&mut command)
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(&paths.repo);
    command
}

/// cargo-fuzz at the pinned version, installed if it is not there yet.
fn ensure_cargo_fuzz(paths: &Paths) -> anyhow::Result<PathBuf> {
    let root = paths.state.join("cargo-tools");
    let binary = root.join("bin/cargo-fuzz");
    let wanted = format!("cargo-fuzz {CARGO_FUZZ_VERSION}");
    let have = Command::new(&binary)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if have.as_deref() == Some(wanted.as_str()) {
        return Ok(binary);
    }
    eprintln!(
        "Installing cargo-fuzz {CARGO_FUZZ_VERSION} into {}...",
        root.display()
    );
    let started = Instant::now();
    let output = clean_cargo_env(&mut Command::new(env!("CARGO")))
        .args(["install", "--locked", "--quiet", "--force", "cargo-fuzz"])
        .args(["--version", CARGO_FUZZ_VERSION])
        .arg("--root")
        .arg(&root)
        .output()
        .context("could not start cargo install")?;
    if !output.status.success() {
        bail!(
            "installing cargo-fuzz failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    eprintln!(
        "Installed cargo-fuzz in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(binary)
}

enum FuzzRun {
    Clean(RunStats),
    Crashed {
        stats: RunStats,
        artifact: PathBuf,
        log: PathBuf,
    },
}

fn run_target(paths: &Paths, dir: &Path, target: &str, seconds: u64) -> anyhow::Result<FuzzRun> {
    let corpus = dir.join("corpus").join(target);
    let artifacts = dir.join("artifacts").join(target);
    let logs = dir.join("logs");
    for d in [&corpus, &artifacts, &logs] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let seeds = paths.repo.join("fuzz/seeds").join(seeds_of(target));
    for entry in
        std::fs::read_dir(&seeds).with_context(|| format!("reading {}", seeds.display()))?
    {
        let entry = entry?;
        std::fs::copy(entry.path(), corpus.join(entry.file_name()))
            .with_context(|| format!("copying the seed {}", entry.path().display()))?;
    }
    let log = logs.join(format!("{target}.log"));
    let log_file = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    eprintln!("==> fuzzing {target} for {seconds} s");
    let status = Command::new(binary(dir, target))
        .arg(&corpus)
        .arg(format!("-max_total_time={seconds}"))
        // A single input running this long is a hang, reported as a crash.
        .arg("-timeout=10")
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        .status()
        .with_context(|| format!("could not start the fuzz target {target}"))?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let stats = parse_stats(&text);
    if status.success() {
        return Ok(FuzzRun::Clean(stats));
    }
    match crash_artifact(&text) {
        Some(artifact) => Ok(FuzzRun::Crashed {
            stats,
            artifact,
            log,
        }),
        None => bail!(
            "the fuzz target {target} failed ({status}) without leaving a crash input; \
             see {}",
            log.display()
        ),
    }
}

fn summary(target: &str, stats: &RunStats, crashes: u32) -> String {
    let corpus = stats
        .corpus
        .map_or_else(|| "?".to_owned(), |c| c.to_string());
    format!(
        "fuzz {target:<20} {:>10} executions ({:>6}/s), corpus {corpus:>5} inputs, peak RSS {:>4} MB, {crashes} crashes",
        stats.executions, stats.exec_per_sec, stats.peak_rss_mb
    )
}

/// libFuzzer's `stat::` lines (`-print_final_stats=1`) and the corpus size
/// from its last status line (`#123 DONE cov: 45 ft: 67 corp: 89/12Kb ...`).
pub fn parse_stats(log: &str) -> RunStats {
    let mut stats = RunStats::default();
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("stat::") {
            let Some((name, value)) = rest.split_once(':') else {
                continue;
            };
            let Ok(value) = value.trim().parse::<u64>() else {
                continue;
            };
            match name.trim() {
                "number_of_executed_units" => stats.executions = value,
                "average_exec_per_sec" => stats.exec_per_sec = value,
                "peak_rss_mb" => stats.peak_rss_mb = value,
                _ => {}
            }
        } else if line.starts_with('#') {
            let corpus = line
                .split_whitespace()
                .skip_while(|word| *word != "corp:")
                .nth(1)
                .and_then(|c| c.split('/').next())
                .and_then(|c| c.parse().ok());
            if corpus.is_some() {
                stats.corpus = corpus;
            }
        }
    }
    stats
}

/// Where libFuzzer wrote the input that crashed (`Test unit written to PATH`).
fn crash_artifact(log: &str) -> Option<PathBuf> {
    log.lines()
        .rev()
        .find_map(|line| line.split_once("Test unit written to "))
        .map(|(_, path)| PathBuf::from(path.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
INFO: Running with entropic power schedule (0xFF, 100).
INFO:        8 files found in target/fuzz/corpus/invocation_envelope
#9\tINITED cov: 2345 ft: 4567 corp: 8/14Kb exec/s: 0 rss: 40Mb
#1024\tpulse  cov: 2400 ft: 4700 corp: 30/20Kb lim: 4096 exec/s: 512 rss: 44Mb
#20480\tDONE   cov: 2450 ft: 4800 corp: 41/25Kb lim: 4096 exec/s: 1024 rss: 45Mb
Done 20480 runs in 21 second(s)
stat::number_of_executed_units: 20480
stat::average_exec_per_sec:     975
stat::new_units_added:          33
stat::slowest_unit_time_sec:    0
stat::peak_rss_mb:              45
";

    #[test]
    fn reads_libfuzzers_final_stats() {
        assert_eq!(
            parse_stats(LOG),
            RunStats {
                executions: 20480,
                exec_per_sec: 975,
                peak_rss_mb: 45,
                corpus: Some(41),
            }
        );
    }

    #[test]
    fn finds_the_crash_input() {
        let log = "==1234== ERROR: libFuzzer: deadly signal\n\
                   artifact_prefix='target/fuzz/artifacts/link_token/'; \
                   Test unit written to target/fuzz/artifacts/link_token/crash-0a1b\n\
                   Base64: AAAA\n";
        assert_eq!(
            crash_artifact(log),
            Some(PathBuf::from("target/fuzz/artifacts/link_token/crash-0a1b"))
        );
        assert_eq!(crash_artifact(LOG), None);
    }
}
