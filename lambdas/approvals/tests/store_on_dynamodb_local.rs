//! The store's conditional writes against a real DynamoDB (Local): the
//! guarantees the status machine rests on.

// Test helpers fail loudly; clippy.toml allows this in #[test] functions only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use hitl_contract::{ApprovalRecord, Claim, Outcome, Status, SubmitRequest, Timestamp};

use hitl_approvals::{ApprovalStore, Created, StoreError};
use hitl_e2e::{sdk_config, unique_id, TABLE};

async fn store() -> ApprovalStore {
    ApprovalStore::new(aws_sdk_dynamodb::Client::new(&sdk_config().await), TABLE)
}

fn record(id: &str, lifetime: Duration) -> ApprovalRecord {
    let request = SubmitRequest {
        amount: Some("10.50".into()),
        details: Some(serde_json::json!({"ticket": "OPS-1"})),
        timeout_seconds: Some(lifetime.as_secs()),
        ..SubmitRequest::new(id, "Rotate credentials", "alice")
    };
    ApprovalRecord::pending(&request, &format!("arn:exec:{id}"), Timestamp::now())
}

/// Creates a pending request `id`, an hour long, and claims its approval for bob.
async fn claimed_by_bob(store: &ApprovalStore, id: &str) {
    store
        .create(&record(id, Duration::from_secs(3600)))
        .await
        .unwrap();
    store
        .claim(id, &claim(Outcome::Approved, "bob"), Timestamp::now())
        .await
        .unwrap();
}

fn claim(outcome: Outcome, by: &str) -> Claim {
    Claim {
        outcome,
        by: by.to_owned(),
        at: Timestamp::now(),
        comment: None,
        proof: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_create_is_idempotent_and_another_execution_is_refused() {
    let store = store().await;
    let id = unique_id("create");
    let mine = record(&id, Duration::from_secs(3600));
    assert_eq!(store.create(&mine).await.unwrap(), Created::New);
    assert_eq!(store.create(&mine).await.unwrap(), Created::AlreadyThere);

    let mut theirs = mine.clone();
    theirs.execution_arn = Some("arn:exec:someone-else".into());
    assert!(matches!(
        store.create(&theirs).await,
        Err(StoreError::IdInUse(_))
    ));

    let stored = store.fetch(&id).await.unwrap();
    assert_eq!(stored.title, mine.title);
    assert_eq!(
        stored.amount.as_deref(),
        Some("10.50"),
        "as submitted, though DynamoDB normalises the number to 10.5"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn of_twenty_concurrent_claims_exactly_one_wins() {
    let store = store().await;
    let id = unique_id("race");
    store
        .create(&record(&id, Duration::from_secs(3600)))
        .await
        .unwrap();

    let contenders = (0..20).map(|i| {
        let store = store.clone();
        let id = id.clone();
        tokio::spawn(async move {
            let outcome = if i % 2 == 0 {
                Outcome::Approved
            } else {
                Outcome::Rejected
            };
            store
                .claim(
                    &id,
                    &claim(outcome, &format!("approver-{i}")),
                    Timestamp::now(),
                )
                .await
        })
    });
    let mut winners = Vec::new();
    for contender in contenders {
        match contender.await.unwrap() {
            Ok(record) => winners.push(record.claim.unwrap().by),
            Err(StoreError::ClaimedByOther { .. }) => {}
            Err(other) => panic!("a losing claim must say who won, got {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one claim wins: {winners:?}");

    // The winner may claim again (finishing an interrupted decision); nobody else can.
    let record = store.fetch(&id).await.unwrap();
    let winning = record.claim.clone().unwrap();
    store.claim(&id, &winning, Timestamp::now()).await.unwrap();
    let loser = claim(winning.outcome, "someone-else");
    assert!(matches!(
        store.claim(&id, &loser, Timestamp::now()).await,
        Err(StoreError::ClaimedByOther { .. })
    ));
}

/// A losing claim is explained from the record DynamoDB returns with its
/// refusal (`ReturnValuesOnConditionCheckFailure`), so a decision needs no
/// read before its claim: DynamoDB Local returns it as AWS documents.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_claim_comes_back_with_the_record_it_lost_to() {
    use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
    use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
    use hitl_contract::record::attr;

    let store = store().await;
    let id = unique_id("lost-to");
    claimed_by_bob(&store, &id).await;
    let refused = aws_sdk_dynamodb::Client::new(&sdk_config().await)
        .update_item()
        .table_name(TABLE)
        .key(attr::APPROVAL_ID, AttributeValue::S(id.clone()))
        .update_expression("SET #cby = :cby")
        .condition_expression("attribute_not_exists(#cby)")
        .expression_attribute_names("#cby", attr::CLAIM_BY)
        .expression_attribute_values(":cby", AttributeValue::S("carol".into()))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err();
    let Some(UpdateItemError::ConditionalCheckFailedException(e)) = refused.as_service_error()
    else {
        panic!("not a condition failure: {refused:?}");
    };
    let lost_to = ApprovalRecord::from_item(e.item().expect("the record it lost to")).unwrap();
    assert_eq!(lost_to.claim.map(|c| c.by).as_deref(), Some("bob"));

    let err = store
        .claim(&id, &claim(Outcome::Rejected, "carol"), Timestamp::now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::ClaimedByOther { ref claim, .. } if claim.by == "bob"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn finishing_is_idempotent_and_final() {
    let store = store().await;
    let id = unique_id("finish");
    claimed_by_bob(&store, &id).await;

    let now = Timestamp::now();
    let done = store
        .finish(
            &id,
            &closing(Status::Approved, Some("bob"), now, Some("ok")),
        )
        .await
        .unwrap();
    assert_eq!(done.status, Status::Approved);
    assert!(done.claim.is_none(), "the claim is cleared");
    // The workflow confirming the same outcome is a success...
    store
        .finish(
            &id,
            &closing(Status::Approved, Some("bob"), now, Some("ok")),
        )
        .await
        .unwrap();
    // ...a different outcome is not.
    let err = store
        .finish(&id, &closing(Status::Expired, None, now, None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotPending(ref r) if r.status == Status::Approved),
        "{err}"
    );
    // Nor can anyone claim it any more.
    let err = store
        .claim(&id, &claim(Outcome::Rejected, "carol"), Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotPending(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_past_its_deadline_cannot_be_claimed() {
    let store = store().await;
    let id = unique_id("late");
    store
        .create(&record(&id, Duration::from_secs(1)))
        .await
        .unwrap();
    let later = Timestamp::now().plus(Duration::from_secs(5));
    let err = store
        .claim(&id, &claim(Outcome::Approved, "bob"), later)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::PastExpiry(_)), "{err}");
    assert!(
        store.fetch(&id).await.unwrap().claim.is_none(),
        "a refused claim writes nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_by_status_is_newest_first() {
    let store = store().await;
    let first = unique_id("list-a");
    let second = unique_id("list-b");
    store
        .create(&record(&first, Duration::from_secs(3600)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    store
        .create(&record(&second, Duration::from_secs(3600)))
        .await
        .unwrap();
    let pending = store.list(Status::Pending, None).await.unwrap();
    let position = |id: &str| pending.iter().position(|r| r.approval_id == id).unwrap();
    assert!(position(&second) < position(&first));
    assert!(pending
        .windows(2)
        .all(|w| w[0].created_at >= w[1].created_at));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_claims_once_and_only_with_the_current_hash() {
    use std::collections::BTreeSet;
    let store = store().await;
    let id = unique_id("link");
    store
        .create(&record(&id, Duration::from_secs(3600)))
        .await
        .unwrap();
    let (old_approve, approve, reject) = ("a0".repeat(32), "a1".repeat(32), "r1".repeat(32));
    store
        .issue_links(&id, &BTreeSet::from([old_approve.clone(), "r0".repeat(32)]))
        .await
        .unwrap();
    store
        .issue_links(&id, &BTreeSet::from([approve.clone(), reject.clone()]))
        .await
        .unwrap();
    let by_link = claim(Outcome::Approved, "approval link");
    let now = Timestamp::now();

    // A replaced link: refused. (Which action a link may take is in its
    // signature, which the page checks before it claims.)
    assert!(matches!(
        store.claim_by_link(&id, &by_link, &old_approve, now).await,
        Err(StoreError::LinkUnknown(_))
    ));
    let claimed = store
        .claim_by_link(&id, &by_link, &approve, now)
        .await
        .unwrap();
    assert_eq!(claimed.links_used, BTreeSet::from([approve.clone()]));
    // The same link again while its own claim is undelivered: it claims
    // again, so pressing the button again delivers the decision. (This used
    // to be refused, leaving a claim that only the deadline could resolve.)
    let again = store
        .claim_by_link(&id, &by_link, &approve, now)
        .await
        .unwrap();
    assert_eq!(
        again.claim.as_ref().map(|c| c.outcome),
        Some(Outcome::Approved)
    );
    // Once decided, links cannot be issued any more.
    store
        .finish(
            &id,
            &closing(Status::Approved, Some("approval link"), now, None),
        )
        .await
        .unwrap();
    // And the link is used for good.
    assert!(matches!(
        store.claim_by_link(&id, &by_link, &approve, now).await,
        Err(StoreError::LinkUsed(_))
    ));
    assert!(matches!(
        store
            .issue_links(&id, &BTreeSet::from([approve.clone(), reject.clone()]))
            .await,
        Err(StoreError::NotPending(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_select_by_requester_and_time_in_dynamodb() {
    let store = store().await;
    let requester = unique_id("pager");
    let before = Timestamp::now();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let mut r = record(&unique_id(&format!("page-{n}")), Duration::from_secs(3600));
        r.requester = requester.clone();
        store.create(&r).await.unwrap();
        ids.push(r.approval_id);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let query = hitl_approvals::ListQuery {
        created_since: Some(before),
        requester: Some(requester),
        page_size: Some(2),
    };
    let mut pages = store.pages(Status::Pending, &query);
    let mut listed = Vec::new();
    while let Some(page) = pages.next_page().await.unwrap() {
        listed.extend(page.into_iter().map(|r| r.approval_id));
    }
    ids.reverse();
    assert_eq!(
        listed, ids,
        "only this requester's, newest first, across pages"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_blocks_others_only_until_its_lease_passes() {
    use hitl_contract::CLAIM_LEASE;
    let store = store().await;
    let id = unique_id("lease");
    store
        .create(&record(&id, Duration::from_secs(3600)))
        .await
        .unwrap();
    let now = Timestamp::now();
    let at = |t: Timestamp, outcome, by: &str| Claim {
        outcome,
        by: by.to_owned(),
        at: t,
        comment: None,
        proof: None,
    };
    store
        .claim(&id, &at(now, Outcome::Approved, "bob"), now)
        .await
        .unwrap();

    // Within the lease: others and `cancel` are refused, saying when it ends.
    let almost = now.plus(CLAIM_LEASE - Duration::from_millis(1));
    let err = store
        .claim(&id, &at(almost, Outcome::Rejected, "carol"), almost)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ClaimedByOther { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("released at {}", now.plus(CLAIM_LEASE))),
        "{err}"
    );
    let err = store
        .cancel(&id, "ops", None, None, almost)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ClaimedByOther { .. }), "{err}");
    // The claimant may still deliver it by claiming again.
    store
        .claim(&id, &at(almost, Outcome::Approved, "bob"), almost)
        .await
        .unwrap();

    // Past the lease of bob's latest claim, carol takes over.
    let released = almost.plus(CLAIM_LEASE);
    let taken = store
        .claim(&id, &at(released, Outcome::Rejected, "carol"), released)
        .await
        .unwrap();
    let claim = taken.claim.unwrap();
    assert_eq!(
        (claim.by.as_str(), claim.outcome),
        ("carol", Outcome::Rejected)
    );

    // Past carol's lease, `cancel` releases the request and clears the claim.
    let later = released.plus(CLAIM_LEASE);
    let cancelled = store
        .cancel(&id, "ops", None, Some("stuck"), later)
        .await
        .unwrap();
    assert_eq!(cancelled.status, Status::Cancelled);
    assert!(cancelled.claim.is_none(), "{cancelled:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_link_takes_over_a_link_claim_only_past_its_lease() {
    use hitl_contract::CLAIM_LEASE;
    let store = store().await;
    let id = unique_id("link-lease");
    store
        .create(&record(&id, Duration::from_secs(3600)))
        .await
        .unwrap();
    let (approve, reject) = ("a2".repeat(32), "r2".repeat(32));
    store
        .issue_links(&id, &[approve.clone(), reject.clone()].into())
        .await
        .unwrap();
    let now = Timestamp::now();
    let by_link = |outcome, at| Claim {
        outcome,
        by: "approval link".into(),
        at,
        comment: None,
        proof: None,
    };
    store
        .claim_by_link(&id, &by_link(Outcome::Approved, now), &approve, now)
        .await
        .unwrap();
    let soon = now.plus(Duration::from_secs(1));
    let err = store
        .claim_by_link(&id, &by_link(Outcome::Rejected, soon), &reject, soon)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ClaimedByOther { .. }), "{err}");

    let released = now.plus(CLAIM_LEASE);
    let taken = store
        .claim_by_link(
            &id,
            &by_link(Outcome::Rejected, released),
            &reject,
            released,
        )
        .await
        .unwrap();
    assert!(taken.links_used.contains(&reject), "{taken:?}");
    // The approve link's claim is gone: that link is used, not re-claimed.
    let err = store
        .claim_by_link(
            &id,
            &by_link(Outcome::Approved, released),
            &approve,
            released,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::ClaimedByOther { .. } | StoreError::LinkUsed(_)
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deadline_never_erases_a_claim() {
    let store = store().await;
    let id = unique_id("deadline");
    store
        .create(&record(&id, Duration::from_secs(3600)))
        .await
        .unwrap();
    let now = Timestamp::now();
    store
        .claim(&id, &claim(Outcome::Approved, "bob"), now)
        .await
        .unwrap();
    let err = store.expire_unclaimed(&id, now).await.unwrap_err();
    assert!(
        matches!(err, StoreError::ClaimedByOther { ref claim, .. } if claim.by == "bob"),
        "{err}"
    );
    assert_eq!(store.fetch(&id).await.unwrap().status, Status::Pending);

    let unclaimed = unique_id("deadline-free");
    store
        .create(&record(&unclaimed, Duration::from_secs(3600)))
        .await
        .unwrap();
    let expired = store.expire_unclaimed(&unclaimed, now).await.unwrap();
    assert_eq!(expired.status, Status::Expired);
    // Again: already expired is a success.
    store.expire_unclaimed(&unclaimed, now).await.unwrap();
}

/// What a decider's final write records.
fn closing<'a>(
    status: Status,
    decided_by: Option<&'a str>,
    decided_at: Timestamp,
    comment: Option<&'a str>,
) -> hitl_approvals::Closing<'a> {
    hitl_approvals::Closing {
        decided_by,
        comment,
        ..hitl_approvals::Closing::nobody(status, decided_at)
    }
}

fn approval(by: &str) -> hitl_contract::Approval {
    hitl_contract::Approval {
        by: by.to_owned(),
        evidence: hitl_contract::Evidence::Sts,
        at: Timestamp::now(),
        comment: Some("fine".into()),
        on_behalf_of: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_counted_approval_releases_its_claim_once_and_a_retry_adds_nothing() {
    let store = store().await;
    let id = unique_id("quorum");
    claimed_by_bob(&store, &id).await;

    let bob = approval("bob");
    let counted = store.record_approval(&id, &bob).await.unwrap();
    assert_eq!(counted.audit.approvals, std::slice::from_ref(&bob));
    assert_eq!(counted.claim, None, "the next approver may claim");
    // The workflow's step retried: still one approval.
    let retried = store.record_approval(&id, &bob).await.unwrap();
    assert_eq!(retried.audit.approvals.len(), 1);

    // Carol's claim is not bob's to release: counting him again, or
    // refusing someone else, leaves it.
    store
        .claim(&id, &claim(Outcome::Approved, "carol"), Timestamp::now())
        .await
        .unwrap();
    let refusal = hitl_contract::Refusal {
        at: Timestamp::now(),
        outcome: Outcome::Approved,
        principal: Some("mallory".into()),
        claimed_by: Some("carol".into()),
        reason: "not among the approvers".into(),
        channel: Some(hitl_contract::record::Channel::Cli),
        comment: None,
    };
    let refused = store.record_refusal(&id, &refusal).await.unwrap();
    assert_eq!(refused.claim.map(|c| c.by).as_deref(), Some("carol"));

    // Closing with the last approval appends it and removes the claim.
    let carol = approval("carol");
    let closing = hitl_approvals::Closing {
        status: Status::Approved,
        decided_by: Some("carol"),
        decided_at: Timestamp::now(),
        comment: None,
        evidence: Some(hitl_contract::Evidence::Sts),
        on_behalf_of: None,
        approval: Some(&carol),
    };
    let closed = store.finish(&id, &closing).await.unwrap();
    assert_eq!(closed.audit.approvals, [bob, carol]);
    assert_eq!(closed.claim, None);
    assert!(matches!(
        store.record_approval(&id, &approval("dave")).await,
        Err(StoreError::NotPending(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_sender_releases_their_own_claim() {
    let store = store().await;
    let id = unique_id("refused");
    store
        .create(&record(&id, Duration::from_secs(3600)))
        .await
        .unwrap();
    store
        .claim(&id, &claim(Outcome::Approved, "erin"), Timestamp::now())
        .await
        .unwrap();
    let refusal = hitl_contract::Refusal {
        at: Timestamp::now(),
        outcome: Outcome::Approved,
        principal: Some("erin".into()),
        claimed_by: Some("erin".into()),
        reason: "its sender is not among the request's approvers".into(),
        channel: Some(hitl_contract::record::Channel::Cli),
        comment: None,
    };
    let refused = store.record_refusal(&id, &refusal).await.unwrap();
    assert_eq!(refused.claim, None);
    assert_eq!(refused.audit.refusals.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_escalation_is_recorded_once_with_its_widened_policy_and_never_once_closed() {
    let store = store().await;
    let id = unique_id("escalate");
    let mut pending = record(&id, Duration::from_secs(3600));
    pending.policy = Some(hitl_contract::ApproverPolicy {
        approvers: vec!["bob@example.com".into()],
        required: 1,
    });
    store.create(&pending).await.unwrap();
    let widened = hitl_contract::ApproverPolicy {
        approvers: vec!["bob@example.com".into(), "carol@example.com".into()],
        required: 1,
    };
    let due = Timestamp::now();
    let escalated = store.record_escalation(&id, due, &widened).await.unwrap();
    assert_eq!(escalated.escalated, Some(due));
    assert_eq!(escalated.policy.as_ref(), Some(&widened));

    // A retried step changes nothing: the first time stands.
    let later = due.plus(Duration::from_secs(5));
    let again = store.record_escalation(&id, later, &widened).await.unwrap();
    assert_eq!(again.escalated, Some(due));

    // A request closed before its escalation is not escalated.
    let closed = unique_id("escalate-closed");
    store
        .create(&record(&closed, Duration::from_secs(3600)))
        .await
        .unwrap();
    store
        .finish(
            &closed,
            &closing(Status::Cancelled, Some("alice"), Timestamp::now(), None),
        )
        .await
        .unwrap();
    let err = store
        .record_escalation(&closed, due, &widened)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotPending(_)), "{err}");
    assert_eq!(store.fetch(&closed).await.unwrap().escalated, None);
}
