//! Stamps `hitl --version` with the commit it was built from.
//!
//! Sets `HITL_COMMIT` (short hash) and `HITL_COMMIT_DATE` (commit date,
//! YYYY-MM-DD) when built from a git checkout. Built from a source tarball,
//! or without git on PATH, neither is set and the version is the package's
//! alone.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let Some(manifest_dir) = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from) else {
        return;
    };
    // Only this repository's own `.git`: without the check, a tarball
    // unpacked inside some other repository would take that one's commit.
    let git_dir = manifest_dir.join("../.git");
    if !git_dir.is_dir() {
        return;
    }
    watch_head(&git_dir);
    if let Some(commit) = git(&manifest_dir, &["rev-parse", "--short=7", "HEAD"]) {
        println!("cargo:rustc-env=HITL_COMMIT={commit}");
    }
    if let Some(date) = git(&manifest_dir, &["log", "-1", "--format=%cs"]) {
        println!("cargo:rustc-env=HITL_COMMIT_DATE={date}");
    }
}

/// Reruns this script when HEAD moves (a commit, a checkout), and only then:
/// watching the whole checkout would rerun it on every edit. Only files that
/// exist are named, because cargo reruns a script on every build while a
/// watched file is missing.
fn watch_head(git_dir: &Path) {
    let head = git_dir.join("HEAD");
    if !head.is_file() {
        return;
    }
    println!("cargo:rerun-if-changed={}", head.display());
    let Ok(content) = std::fs::read_to_string(&head) else {
        return;
    };
    // A detached HEAD holds the hash itself: HEAD is all there is to watch.
    let Some(reference) = content.trim().strip_prefix("ref: ") else {
        return;
    };
    let loose = git_dir.join(reference);
    if loose.is_file() {
        println!("cargo:rerun-if-changed={}", loose.display());
        return;
    }
    // A packed ref: the next commit writes it loose, into its directory,
    // without touching packed-refs, so both are watched.
    let packed = git_dir.join("packed-refs");
    for path in std::iter::once(packed.as_path()).chain(loose.parent()) {
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

/// One line of git's output, or None when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let line = text.trim();
    (!line.is_empty()).then(|| line.to_owned())
}
