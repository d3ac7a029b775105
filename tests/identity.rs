//! Who requested and who decided, through real credential chains: the local
//! stack's IAM users in moto, each reaching the stack through `role_arn` +
//! `source_profile` profiles the way enterprise set-ups do, and STS (moto's)
//! reporting the principal. No `--requester` and no `--as`: the caller is
//! who their credentials say.

use std::path::PathBuf;
use std::process::Command;

use hitl_e2e::{
    hitl_command, local_ports, person_profile, report, unique_id, wait_for_show, Run, ACCOUNT,
    PEOPLE, PROFILE,
};

/// An AWS config file of its own: the local stack's (whose `services`
/// section points every client at the local endpoints, and which holds each
/// person's profile with their IAM user's keys), plus one profile per role a
/// person assumes from their own.
struct Profiles {
    file: PathBuf,
}

impl Profiles {
    /// Creates the roles in moto, with boto3 (the local stack's Python SDK),
    /// and writes the profiles that assume them. The people are the local
    /// stack's, whose users and keys `cargo xtask local up` created.
    fn create(people: &[&str], roles: &[&str]) -> Self {
        assert!(people.iter().all(|p| PEOPLE.contains(p)), "{people:?}");
        let ports = local_ports();
        let moto = format!("http://127.0.0.1:{}", ports["moto"]);
        let script = r#"
import json, sys, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="local", aws_secret_access_key="local")
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})
for role in sys.argv[2].split(","):
    try:
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    except iam.exceptions.EntityAlreadyExistsException:
        pass
"#;
        let python = repo().join(".local-stack/venv/bin/python");
        let output = Command::new(&python)
            .args(["-c", script, &moto, &roles.join(",")])
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
        assert!(
            output.status.success(),
            "creating IAM roles: {}",
            String::from_utf8_lossy(&output.stderr)
        );

        let local = std::env::var_os("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".aws/config"))
            })
            .expect("the local stack's AWS config file");
        let mut text = std::fs::read_to_string(&local)
            .unwrap_or_else(|e| panic!("reading {}: {e}", local.display()));
        text.push('\n');
        for person in people {
            let source = person_profile(person);
            for role in roles {
                text.push_str(&format!(
                    "[profile {person}-{role}]\nregion = us-east-1\n\
                     role_arn = arn:aws:iam::{ACCOUNT}:role/{role}\nsource_profile = {source}\n\
                     services = {PROFILE}\n\n"
                ));
            }
        }
        let file = std::env::temp_dir().join(format!("{}.config", unique_id("hitl-identity")));
        std::fs::write(&file, text).expect("writing the AWS config");
        Self { file }
    }

    /// `hitl ARGS` as `profile` (only this file's profiles, no others).
    fn hitl(&self, profile: &str, args: &[&str]) -> Run {
        hitl_command(args)
            .env("AWS_CONFIG_FILE", &self.file)
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.file.with_extension("none"),
            )
            .env("AWS_PROFILE", profile)
            .output()
            .expect("hitl runs")
            .into()
    }
}

impl Drop for Profiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests folder sits in the repository")
        .to_owned()
}

fn session(role: &str, person: &str) -> String {
    format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{person}")
}

#[test]
fn role_sessions_are_the_person_behind_them_on_every_run() {
    let profiles = Profiles::create(&["alice", "bob"], &["requesters", "approvers"]);
    let id = unique_id("identity");

    // Alice submits through the requesters role; her session is named after
    // her, not after the moment (the SDK's assume-role-from-profile-<millis>).
    let submitted = profiles.hitl(
        "alice-requesters",
        &[
            "submit",
            "--id",
            &id,
            "--title",
            "Rotate the signing key",
            "--output",
            "json",
        ],
    );
    assert_eq!(submitted.code, 0, "{submitted:?}");
    let pending = wait_for_show(&id, "PENDING with a callback", |v| {
        v["record"]["status"] == "PENDING" && v["record"]["callback_id"].is_string()
    });
    assert_eq!(
        pending["record"]["requester"],
        session("requesters", "alice")
    );

    // Through the same role she is the requester on every run: refused twice.
    for _ in 0..2 {
        let own = profiles.hitl("alice-requesters", &["approve", &id, "--output", "json"]);
        assert_eq!(own.code, 9, "self-approval must be refused: {own:?}");
        assert!(own.stderr.contains("cannot approve"), "{own:?}");
    }

    // Bob, through the approvers role, is someone else; his decision is
    // recorded under his session, and running it again is the same decider.
    let approved = profiles.hitl("bob-approvers", &["approve", &id, "--output", "json"]);
    assert_eq!(approved.code, 0, "{approved:?}");
    let again = profiles.hitl("bob-approvers", &["approve", &id, "--output", "json"]);
    assert_eq!(
        again.code, 0,
        "the same decider repeating their decision: {again:?}"
    );
    let decided = wait_for_show(&id, "APPROVED", |v| v["record"]["status"] == "APPROVED");
    assert_eq!(decided["record"]["decided_by"], session("approvers", "bob"));
    report(format_args!(
        "identity: requester {}, decider {}; self-approval refused on 2 of 2 runs",
        pending["record"]["requester"], decided["record"]["decided_by"]
    ));
}

#[test]
fn two_runs_of_one_role_profile_are_one_approver_and_two_people_of_one_role_are_two() {
    let profiles = Profiles::create(&["alice", "bob", "carol", "dave"], &["approvers"]);
    let id = unique_id("identity-quorum");
    let role = format!("arn:aws:iam::{ACCOUNT}:role/approvers");
    let submitted = profiles.hitl(
        "alice-approvers",
        &[
            "submit",
            "--id",
            &id,
            "--title",
            "Open the firewall to the partner VPC",
            "--approvers",
            &role,
            "--required",
            "2",
            "--output",
            "json",
        ],
    );
    assert_eq!(submitted.code, 0, "{submitted:?}");
    wait_for_show(&id, "PENDING with a callback", |v| {
        v["record"]["status"] == "PENDING" && v["record"]["callback_id"].is_string()
    });

    // Dave's own user is not a session of the role; Alice's session is, but
    // she asked.
    let outsider = profiles.hitl(&person_profile("dave"), &["approve", &id]);
    assert_eq!(outsider.code, 9, "{outsider:?}");
    let own = profiles.hitl("alice-approvers", &["approve", &id]);
    assert_eq!(own.code, 9, "{own:?}");

    // Bob twice through the same profile: one approval.
    for _ in 0..2 {
        let bob = profiles.hitl("bob-approvers", &["approve", &id, "--output", "json"]);
        assert_eq!(bob.code, 0, "{bob:?}");
        assert_eq!(bob.json()["status"], "PENDING", "{bob:?}");
    }
    // Carol through the same role is a second person: approved.
    let carol = profiles.hitl("carol-approvers", &["approve", &id, "--output", "json"]);
    assert_eq!(carol.code, 0, "{carol:?}");
    let decided = wait_for_show(&id, "APPROVED", |v| v["record"]["status"] == "APPROVED");
    let counted: Vec<&str> = decided["record"]["approvals"]
        .as_array()
        .expect("approvals")
        .iter()
        .filter_map(|a| a["by"].as_str())
        .collect();
    assert_eq!(
        counted,
        [session("approvers", "bob"), session("approvers", "carol")],
        "{decided}"
    );
    report(format_args!(
        "identity: 2 of role approvers: bob's two runs counted once, carol's made two; \
         dave's user and the requester's own session refused"
    ));
}
