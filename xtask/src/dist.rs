//! `cargo xtask dist`: the archives operators install `hitl` from.
//!
//! For each target, a release build of `hitl` is packed with the shell
//! completions, the man page and the README into
//! `target/dist/hitl-<version>-<target>.tar.gz`, then checked: the archive
//! is unpacked into `target/dist/check/` and the binary in it must run and
//! report the version.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use anyhow::{bail, Context};

use crate::paths::cargo;
use crate::paths::Paths;

pub const X86_64: &str = "x86_64-unknown-linux-gnu";
pub const AARCH64: &str = "aarch64-unknown-linux-gnu";
/// What `--target` accepts.
pub const TARGETS: &[&str] = &[X86_64, AARCH64];

/// The checked-in completion scripts under `completions/` each archive carries.
const COMPLETIONS: &[&str] = &["hitl.bash", "_hitl", "hitl.fish", "hitl.elv", "_hitl.ps1"];

pub struct Options {
    /// The targets asked for by name, which must all build; when empty,
    /// x86_64 and, when this machine can build it, aarch64.
    pub targets: Vec<String>,
}

/// How one target's release build is made.
enum Build {
    Cargo,
    /// `cargo zigbuild`: zig as the cross linker.
    Zig,
    /// `cargo build` with this cross linker.
    CrossGcc(String),
}

pub fn run(paths: &Paths, options: &Options) -> anyhow::Result<()> {
    let version = hitl_version(paths)?;
    let installed = installed_targets();
    let by_default = options.targets.is_empty();
    let mut plan = Vec::new();
    for target in TARGETS.iter().copied() {
        if !by_default && !options.targets.iter().any(|wanted| wanted == target) {
            continue;
        }
        match how_to_build(target, &installed) {
            Ok(build) => plan.push((target, build)),
            // aarch64 is a bonus unless asked for by name.
            Err(why) if by_default && target == AARCH64 => eprintln!("Skipping {target}: {why}"),
            Err(why) => bail!("cannot build {target}: {why}"),
        }
    }

    let dist = hitl_e2e::target_dir().join("dist");
    for (target, build) in plan {
        let binary = build_release(paths, target, &build)?;
        let contents = Contents::of(&paths.repo, &binary, &version, target);
        let archive = pack(&dist, &contents)?;
        check(&dist, &archive, &contents, &version, target)?;
        let bytes = std::fs::metadata(&archive)
            .with_context(|| format!("reading the size of {}", archive.display()))?
            .len();
        println!(
            "{} ({:.1} MiB, {bytes} bytes)",
            archive.display(),
            bytes as f64 / (1024.0 * 1024.0)
        );
    }
    Ok(())
}

/// hitl's version, from its manifest as cargo reads it.
fn hitl_version(paths: &Paths) -> anyhow::Result<String> {
    let output = cargo(paths, &["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("could not start cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("cargo metadata printed no JSON")?;
    metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|package| package["name"] == "hitl")
        .and_then(|package| package["version"].as_str())
        .map(str::to_owned)
        .context("cargo metadata lists no package `hitl` with a version")
}

/// The targets whose standard library rustup has installed; empty without rustup.
fn installed_targets() -> Vec<String> {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(|line| line.trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The architecture this xtask runs on: its own build's, which is the host's.
fn is_host(target: &str) -> bool {
    target.starts_with(&format!("{}-", std::env::consts::ARCH))
}

/// How `target` can be built here, or why it cannot. Nothing is installed.
fn how_to_build(target: &str, installed: &[String]) -> Result<Build, String> {
    if is_host(target) {
        return Ok(Build::Cargo);
    }
    if !installed.iter().any(|name| name == target) {
        return Err(format!(
            "its standard library is not installed (`rustup target add {target}`)"
        ));
    }
    if succeeds(Command::new(env!("CARGO")).args(["zigbuild", "--help"])) {
        return Ok(Build::Zig);
    }
    let arch = target.split('-').next().unwrap_or(target);
    let gcc = format!("{arch}-linux-gnu-gcc");
    if succeeds(Command::new(&gcc).arg("--version")) {
        return Ok(Build::CrossGcc(gcc));
    }
    Err(format!(
        "no linker for it: neither `cargo zigbuild` nor `{gcc}` is on PATH"
    ))
}

fn succeeds(command: &mut Command) -> bool {
    command.output().is_ok_and(|output| output.status.success())
}

/// `cargo build --release --locked -p hitl --target <target>`; the binary's path.
fn build_release(paths: &Paths, target: &str, build: &Build) -> anyhow::Result<PathBuf> {
    let subcommand = match build {
        Build::Zig => "zigbuild",
        Build::Cargo | Build::CrossGcc(_) => "build",
    };
    let mut command = cargo(
        paths,
        &[subcommand, "--release", "--locked", "--quiet", "-p", "hitl"],
    );
    command.args(["--target", target]);
    if let Build::CrossGcc(gcc) = build {
        let variable = format!(
            "CARGO_TARGET_{}_LINKER",
            target.to_uppercase().replace('-', "_")
        );
        // A linker the caller configured wins over the one found on PATH.
        if std::env::var_os(&variable).is_none() {
            command.env(variable, gcc);
        }
    }
    eprintln!("Building hitl for {target} in release mode (several minutes the first time)...");
    let started = Instant::now();
    let status = command
        .status()
        .with_context(|| format!("could not start cargo {subcommand}"))?;
    if !status.success() {
        bail!("the release build of hitl for {target} failed ({status}); its errors are above");
    }
    eprintln!(
        "Built hitl for {target} in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let binary = hitl_e2e::target_dir().join(target).join("release/hitl");
    anyhow::ensure!(
        binary.is_file(),
        "the release build left no {}",
        binary.display()
    );
    Ok(binary)
}

/// What one archive holds.
struct Contents {
    /// `hitl-<version>-<target>`: the archive's name without `.tar.gz`,
    /// and the one directory at its top.
    name: String,
    /// Each file's source, and its path under that directory.
    files: Vec<(PathBuf, PathBuf)>,
}

impl Contents {
    fn of(repo: &Path, binary: &Path, version: &str, target: &str) -> Self {
        let completions = repo.join("completions");
        let mut files = vec![(binary.to_path_buf(), PathBuf::from("hitl"))];
        files.extend(
            COMPLETIONS
                .iter()
                .map(|name| (completions.join(name), Path::new("completions").join(name))),
        );
        files.push((completions.join("hitl.1"), PathBuf::from("man/hitl.1")));
        files.push((repo.join("README.md"), PathBuf::from("README.md")));
        for license in ["LICENSE", "LICENSE.md", "LICENSE.txt"] {
            if repo.join(license).is_file() {
                files.push((repo.join(license), PathBuf::from(license)));
            }
        }
        Self {
            name: format!("hitl-{version}-{target}"),
            files,
        }
    }
}

/// Packs `target/dist/<name>.tar.gz`; its path.
fn pack(dist: &Path, contents: &Contents) -> anyhow::Result<PathBuf> {
    let name = &contents.name;
    let staging = dist.join("staging");
    let top = staging.join(name);
    fresh_dir(&top)?;
    for (from, to) in &contents.files {
        let to = top.join(to);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::copy(from, &to).with_context(|| {
            format!(
                "copying {} into the archive (is the checkout complete?)",
                from.display()
            )
        })?;
    }
    let archive = dist.join(format!("{name}.tar.gz"));
    // Owned by root in the archive, whoever packed it: extracting as root
    // must not hand the files to a stranger's uid.
    let output = Command::new("tar")
        .args(["--owner=0", "--group=0", "--numeric-owner", "-czf"])
        .arg(&archive)
        .arg("-C")
        .arg(&staging)
        .arg(name)
        .output()
        .context("could not start tar: is it installed?")?;
    require_success("tar -czf", &output)?;
    std::fs::remove_dir_all(&staging).with_context(|| format!("removing {}", staging.display()))?;
    Ok(archive)
}

/// Unpacks the archive into `target/dist/check/` and runs what is in it.
fn check(
    dist: &Path,
    archive: &Path,
    contents: &Contents,
    version: &str,
    target: &str,
) -> anyhow::Result<()> {
    let name = &contents.name;
    let unpacked = dist.join("check").join(name);
    fresh_dir(&unpacked)?;
    let output = Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(&unpacked)
        .output()
        .context("could not start tar: is it installed?")?;
    require_success("tar -xzf", &output)?;
    let top_level: Vec<_> = std::fs::read_dir(&unpacked)
        .with_context(|| format!("listing {}", unpacked.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.file_name()))
        .collect();
    anyhow::ensure!(
        top_level == [name.as_str()],
        "{} should hold the one directory {name}/ at its top, not {top_level:?}",
        archive.display()
    );
    let top = unpacked.join(name);
    for (_, inside) in &contents.files {
        anyhow::ensure!(
            top.join(inside).is_file(),
            "{} lacks {name}/{}",
            archive.display(),
            inside.display()
        );
    }
    if !is_host(target) {
        eprintln!(
            "Checked the contents of the {target} archive; its binary does not run on this machine"
        );
        return Ok(());
    }
    let binary = top.join("hitl");
    // Nothing from this shell: the binary must run on its own.
    let shown = run_unpacked(&binary, "--version")?;
    let shown = shown.trim();
    let expected = format!("hitl {version}");
    anyhow::ensure!(
        shown == expected || shown.starts_with(&format!("{expected} (")),
        "{} --version printed `{shown}`, not `{expected}` (cli/Cargo.toml's version): the archive \
         holds some other build; run `cargo clean --release -p hitl --target {target}`, then \
         `cargo xtask dist` again",
        binary.display()
    );
    let help = run_unpacked(&binary, "--help")?;
    anyhow::ensure!(
        help.contains("Usage: hitl"),
        "{} --help printed no usage:\n{help}",
        binary.display()
    );
    eprintln!("Checked {}: {shown}", archive.display());
    Ok(())
}

/// Runs the unpacked binary with one flag and an empty environment; its stdout.
fn run_unpacked(binary: &Path, flag: &str) -> anyhow::Result<String> {
    let output = Command::new(binary)
        .arg(flag)
        .env_clear()
        .output()
        .with_context(|| format!("could not run {} {flag}", binary.display()))?;
    require_success(&format!("{} {flag}", binary.display()), &output)?;
    String::from_utf8(output.stdout)
        .with_context(|| format!("{} {flag} printed no UTF-8", binary.display()))
}

fn require_success(what: &str, output: &Output) -> anyhow::Result<()> {
    if !output.status.success() {
        bail!(
            "{what} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// An empty directory at `dir`, whatever was there.
fn fresh_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machines_architecture_counts_as_the_host() {
        assert!(is_host(&format!(
            "{}-unknown-linux-gnu",
            std::env::consts::ARCH
        )));
        assert!(!is_host("sparc64-unknown-linux-gnu"));
    }

    #[test]
    fn archives_carry_the_binary_completions_man_page_and_readme() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let binary = Path::new("target/release/hitl");
        let contents = Contents::of(&repo, binary, "0.1.0", X86_64);
        assert_eq!(contents.name, "hitl-0.1.0-x86_64-unknown-linux-gnu");
        for (from, _) in &contents.files {
            assert!(
                from == binary || from.is_file(),
                "{} is missing",
                from.display()
            );
        }
        let inside: Vec<&Path> = contents.files.iter().map(|(_, to)| to.as_path()).collect();
        for expected in [
            "hitl",
            "completions/_hitl",
            "completions/hitl.fish",
            "man/hitl.1",
            "README.md",
        ] {
            assert!(
                inside.contains(&Path::new(expected)),
                "{expected} not in {inside:?}"
            );
        }
    }
}
