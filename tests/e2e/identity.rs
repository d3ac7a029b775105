//! Who requested and who decided, through real credential chains: the local
//! stack's IAM users in moto, each reaching the stack through `role_arn` +
//! `source_profile` profiles the way enterprise set-ups do, and STS (moto's)
//! reporting the principal. No `--requester` and no `--as`: the caller is
//! who their credentials say.

use hitl_e2e::{person_profile, report, unique_id, wait_for_show, RoleProfiles, ACCOUNT};

fn session(role: &str, person: &str) -> String {
    format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{person}")
}

#[test]
fn role_sessions_are_the_person_behind_them_on_every_run() {
    let profiles = RoleProfiles::create(&["alice", "bob"], &["requesters", "approvers"]);
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
    let profiles = RoleProfiles::create(&["alice", "bob", "carol", "dave"], &["approvers"]);
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
