//! The approvals table: every read and conditional write of a record.
//!
//! Each write carries the condition that keeps the status machine honest, so
//! two writers (a retried step, two approvers, the CLI and the workflow) can
//! race freely: exactly one wins and the others learn why they lost.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;

use hitl_contract::policy::ApproverPolicy;
use hitl_contract::record::{
    attr, json_attribute, Approval, ApprovalRecord, Claim, Evidence, RecordError, Refusal, Status,
    CLAIM_LEASE, STATUS_INDEX,
};
use hitl_contract::timestamp::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no approval request `{0}` exists; `hitl list --status all` lists them")]
    NotFound(String),
    #[error("approval id `{0}` is already used by another request; choose another id")]
    IdInUse(String),
    /// The record is no longer `Pending`.
    #[error("approval request `{}` is already {}", .0.approval_id, .0.status)]
    NotPending(Box<ApprovalRecord>),
    /// The request's time is up, whether or not the workflow recorded it yet.
    #[error("approval request `{}` expired at {}", .0.approval_id, .0.expires_at)]
    PastExpiry(Box<ApprovalRecord>),
    /// Someone else's decision won the conditional write first, and its
    /// lease has not passed.
    #[error("approval request `{}` is already being decided ({} by {} at {}); if that decision is not delivered, its claim is released at {}: try again then", .record.approval_id, .claim.outcome, .claim.by, .claim.at, .claim.released_at())]
    ClaimedByOther {
        record: Box<ApprovalRecord>,
        claim: Box<Claim>,
    },
    /// The approval link that decided this request was used again.
    #[error("this link was already used: approval request `{}` is {}", .0.approval_id, .0.status)]
    LinkUsed(Box<ApprovalRecord>),
    /// A validly signed link whose hash the record does not hold: replaced by
    /// a newer notification, or never sent.
    #[error("this link is not (or no longer) valid for approval request `{0}`; use the newest notification's links or `hitl`")]
    LinkUnknown(String),
    /// A conditional write failed, yet the record read just after allows it:
    /// another writer changed it in between. Trying again is safe.
    #[error("the record `{0}` changed during the update; try again")]
    Changed(String),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("DynamoDB {operation} on table `{table}` failed: {message}")]
    Aws {
        operation: &'static str,
        table: String,
        message: String,
        /// The HTTP status, when the service answered at all.
        status: Option<u16>,
    },
}

impl StoreError {
    /// The record the error was read from, when it names one.
    pub fn record(&self) -> Option<&ApprovalRecord> {
        match self {
            StoreError::NotPending(record)
            | StoreError::PastExpiry(record)
            | StoreError::LinkUsed(record)
            | StoreError::ClaimedByOther { record, .. } => Some(record),
            _ => None,
        }
    }
}

/// Whether a claim may replace another decider's claim whose lease has
/// passed (see [`CLAIM_LEASE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// Replace it: that decision was never delivered.
    TakeOver,
    /// Keep it: the claim fails with [`StoreError::ClaimedByOther`], so the
    /// caller can judge first whether it may replace it at all.
    Respect,
}

/// How a request closes: what [`ApprovalStore::finish`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closing<'a> {
    pub status: Status,
    pub decided_by: Option<&'a str>,
    pub decided_at: Timestamp,
    pub comment: Option<&'a str>,
    pub evidence: Option<Evidence>,
    pub on_behalf_of: Option<&'a str>,
    /// The closing approval, added to the record's counted approvals.
    pub approval: Option<&'a Approval>,
}

impl Closing<'_> {
    /// Closed by nobody at `at` (expired).
    pub fn nobody(status: Status, at: Timestamp) -> Self {
        Closing {
            status,
            decided_by: None,
            decided_at: at,
            comment: None,
            evidence: None,
            on_behalf_of: None,
            approval: None,
        }
    }
}

/// What a conditional put of a new record found.
#[derive(Debug, PartialEq)]
pub enum Created {
    New,
    /// The same execution wrote it before (a retried step); nothing changed.
    AlreadyThere,
}

/// A handle on the approvals table.
#[derive(Debug, Clone)]
pub struct ApprovalStore {
    client: Client,
    table: String,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

impl ApprovalStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn aws_error<E>(&self, operation: &'static str, err: SdkError<E, HttpResponse>) -> StoreError
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let mut message = crate::sdk_error::summary(&err);
        if let Some(advice) = advice(&err) {
            message = format!("{message}\n{advice}");
        }
        StoreError::Aws {
            operation,
            table: self.table.clone(),
            message,
            status,
        }
    }

    /// Reads a record with a strongly consistent read.
    pub async fn get(&self, approval_id: &str) -> Result<Option<ApprovalRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(attr::APPROVAL_ID, s(approval_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.aws_error("GetItem", e))?;
        out.item
            .map(|item| ApprovalRecord::from_item(&item))
            .transpose()
            .map_err(StoreError::from)
    }

    /// Reads a record that must exist.
    pub async fn fetch(&self, approval_id: &str) -> Result<ApprovalRecord, StoreError> {
        self.get(approval_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(approval_id.to_owned()))
    }

    /// Writes a new `Pending` record unless one with that id exists. A record
    /// left by an earlier attempt of the same execution counts as written.
    pub async fn create(&self, record: &ApprovalRecord) -> Result<Created, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(record.to_item()))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", attr::APPROVAL_ID)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Created::New),
            Err(err) if is_condition_failure(&err) => {
                let existing = self.fetch(&record.approval_id).await?;
                if existing.execution_arn.is_some()
                    && existing.execution_arn == record.execution_arn
                {
                    Ok(Created::AlreadyThere)
                } else {
                    Err(StoreError::IdInUse(record.approval_id.clone()))
                }
            }
            Err(err) => Err(self.aws_error("PutItem", err)),
        }
    }

    /// An `UpdateItem` of a record that exists and is still pending (the
    /// condition and its names and values; the caller adds the rest).
    fn update_pending(&self, approval_id: &str) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(attr::APPROVAL_ID, s(approval_id))
            .condition_expression("attribute_exists(#id) AND #status = :pending")
            .expression_attribute_names("#id", attr::APPROVAL_ID)
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":pending", s(Status::Pending.as_str()))
    }

    /// Sends an update built on [`Self::update_pending`]. A failed condition
    /// is explained by the record as it stands now.
    async fn send_pending(
        &self,
        approval_id: &str,
        update: UpdateItemFluentBuilder,
    ) -> Result<(), StoreError> {
        match update.send().await {
            Ok(_) => Ok(()),
            Err(err) if is_condition_failure(&err) => Err(self.explain(approval_id).await),
            Err(err) => Err(self.aws_error("UpdateItem", err)),
        }
    }

    /// Stores the callback id approvers answer, while the request is pending.
    pub async fn attach_callback(
        &self,
        approval_id: &str,
        callback_id: &str,
    ) -> Result<(), StoreError> {
        let update = self
            .update_pending(approval_id)
            .update_expression("SET #cb = :cb")
            .expression_attribute_names("#cb", attr::CALLBACK_ID)
            .expression_attribute_values(":cb", s(callback_id));
        self.send_pending(approval_id, update).await
    }

    /// Adds the hashes of a reminder's fresh links to those already out,
    /// while the request is pending: the first notification's links keep
    /// working beside them.
    pub async fn add_links(
        &self,
        approval_id: &str,
        links: &BTreeSet<String>,
    ) -> Result<(), StoreError> {
        if links.is_empty() {
            return Ok(());
        }
        let update = self
            .update_pending(approval_id)
            .update_expression("ADD #links :links")
            .expression_attribute_names("#links", attr::LINKS)
            .expression_attribute_values(
                ":links",
                AttributeValue::Ss(links.iter().cloned().collect()),
            );
        self.send_pending(approval_id, update).await
    }

    /// Stores the hashes of the approval links just sent out (every
    /// approver's), while the request is pending. Links of an earlier
    /// notification stop working.
    pub async fn issue_links(
        &self,
        approval_id: &str,
        links: &BTreeSet<String>,
    ) -> Result<(), StoreError> {
        let update = self
            .update_pending(approval_id)
            .expression_attribute_names("#links", attr::LINKS);
        // DynamoDB holds no empty set: no links is no attribute.
        let update = if links.is_empty() {
            update.update_expression("REMOVE #links")
        } else {
            update
                .update_expression("SET #links = :links")
                .expression_attribute_values(
                    ":links",
                    AttributeValue::Ss(links.iter().cloned().collect()),
                )
        };
        self.send_pending(approval_id, update).await
    }

    /// Claims the right to decide a pending, unexpired request. The same
    /// decider repeating the same decision may claim again, which is how an
    /// interrupted decision is finished; anyone may take over a claim whose
    /// lease ([`CLAIM_LEASE`]) has passed.
    pub async fn claim(
        &self,
        approval_id: &str,
        claim: &Claim,
        now: Timestamp,
    ) -> Result<ApprovalRecord, StoreError> {
        self.claim_with(approval_id, claim, None, Stale::TakeOver, now)
            .await
    }

    /// Claims a request through an approval link whose hash is `link_hash`:
    /// the link must be the record's current one for the claimed outcome and
    /// unused, and the same write marks it used. A used link claims again
    /// only while the record still holds its own undelivered claim (pressing
    /// the button again delivers it); once another decider took over, the
    /// link is spent. Another link may take over a claim past its lease.
    pub async fn claim_by_link(
        &self,
        approval_id: &str,
        claim: &Claim,
        link_hash: &str,
        now: Timestamp,
    ) -> Result<ApprovalRecord, StoreError> {
        self.claim_with(approval_id, claim, Some(link_hash), Stale::TakeOver, now)
            .await
    }

    /// [`ApprovalStore::claim`], or [`ApprovalStore::claim_by_link`] when
    /// `link_hash` is given, with `stale` saying whether another decider's
    /// claim past its lease may be replaced.
    pub async fn claim_with(
        &self,
        approval_id: &str,
        claim: &Claim,
        link_hash: Option<&str>,
        stale: Stale,
        now: Timestamp,
    ) -> Result<ApprovalRecord, StoreError> {
        let mut set = vec!["#co = :co", "#cby = :cby", "#cat = :cat"];
        // Fixed-width timestamps compare as text in time order (see
        // `Timestamp`): a claim made at or before `:stale` is past its lease.
        let mut condition = String::from(
            "attribute_exists(#id) AND #status = :pending AND #exp > :now \
             AND (attribute_not_exists(#co) OR (#co = :co AND #cby = :cby)",
        );
        condition.push_str(match stale {
            Stale::TakeOver => " OR #cat <= :stale)",
            Stale::Respect => ")",
        });
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::APPROVAL_ID, s(approval_id))
            .expression_attribute_names("#id", attr::APPROVAL_ID)
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#exp", attr::EXPIRES_AT)
            .expression_attribute_names("#co", attr::CLAIM_OUTCOME)
            .expression_attribute_names("#cby", attr::CLAIM_BY)
            .expression_attribute_names("#cat", attr::CLAIM_AT)
            .expression_attribute_names("#cc", attr::CLAIM_COMMENT)
            .expression_attribute_names("#cp", attr::CLAIM_PROOF)
            .expression_attribute_values(":pending", s(Status::Pending.as_str()))
            .expression_attribute_values(":now", s(now.to_string()))
            .expression_attribute_values(":co", s(claim.outcome.status().as_str()))
            .expression_attribute_values(":cby", s(&claim.by))
            .expression_attribute_values(":cat", s(claim.at.to_string()))
            .return_values(ReturnValue::AllNew)
            // A lost claim explains itself from the record it lost to: no read.
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if stale == Stale::TakeOver {
            update =
                update.expression_attribute_values(":stale", s(now.minus(CLAIM_LEASE).to_string()));
        }
        if let Some(comment) = &claim.comment {
            set.push("#cc = :cc");
            update = update.expression_attribute_values(":cc", s(comment));
        }
        if let Some(proof) = &claim.proof {
            set.push("#cp = :cp");
            update = update.expression_attribute_values(":cp", s(proof.to_json()));
        }
        if let Some(hash) = link_hash {
            // The link must be one of those sent out, and unused, unless
            // this is its own undelivered claim being pressed again.
            condition.push_str(
                " AND contains(#links, :lh) \
                 AND (NOT contains(#used, :lh) OR (#co = :co AND #cby = :cby))",
            );
            update = update
                .expression_attribute_names("#links", attr::LINKS)
                .expression_attribute_names("#used", attr::LINKS_USED)
                .expression_attribute_values(":lh", s(hash))
                .expression_attribute_values(":used", AttributeValue::Ss(vec![hash.to_owned()]));
        }
        let mut expression = format!("SET {}", set.join(", "));
        let unset: Vec<&str> = [
            claim.comment.is_none().then_some("#cc"),
            claim.proof.is_none().then_some("#cp"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !unset.is_empty() {
            expression.push_str(&format!(" REMOVE {}", unset.join(", ")));
        }
        if link_hash.is_some() {
            expression.push_str(" ADD #used :used");
        }
        let result = update
            .update_expression(expression)
            .condition_expression(condition)
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                Ok(ApprovalRecord::from_item(&item)?)
            }
            Err(err) if is_condition_failure(&err) => {
                let record = match lost_to(&err) {
                    Some(record) => Some(record?),
                    // Not returned (no such record, or an older emulator): read it.
                    None => self.get(approval_id).await?,
                };
                Err(match (record, link_hash) {
                    (None, _) => StoreError::NotFound(approval_id.to_owned()),
                    (Some(record), Some(hash)) => self.why_not_by_link(record, hash, now),
                    (Some(record), None) => self.why_not(record, now),
                })
            }
            Err(err) => Err(self.aws_error("UpdateItem", err)),
        }
    }

    /// Removes `claim` from a pending record if it still holds exactly that
    /// claim (by, outcome and time); otherwise changes nothing.
    pub async fn release_claim(&self, approval_id: &str, claim: &Claim) -> Result<(), StoreError> {
        let result = self
            .update_pending(approval_id)
            .update_expression("REMOVE #co, #cby, #cat, #cc, #cp")
            .condition_expression(
                "attribute_exists(#id) AND #status = :pending \
                 AND #co = :co AND #cby = :cby AND #cat = :cat",
            )
            .expression_attribute_names("#co", attr::CLAIM_OUTCOME)
            .expression_attribute_names("#cby", attr::CLAIM_BY)
            .expression_attribute_names("#cat", attr::CLAIM_AT)
            .expression_attribute_names("#cc", attr::CLAIM_COMMENT)
            .expression_attribute_names("#cp", attr::CLAIM_PROOF)
            .expression_attribute_values(":co", s(claim.outcome.status().as_str()))
            .expression_attribute_values(":cby", s(&claim.by))
            .expression_attribute_values(":cat", s(claim.at.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_condition_failure(&err) => Ok(()),
            Err(err) => Err(self.aws_error("UpdateItem", err)),
        }
    }

    /// Moves a pending record to its final status. Writing the status it
    /// already has is a success, so a retried step confirms its own write.
    pub async fn finish(
        &self,
        approval_id: &str,
        closing: &Closing<'_>,
    ) -> Result<ApprovalRecord, StoreError> {
        match self.closing_update(approval_id, closing).send().await {
            Ok(out) => written(out),
            Err(err) if is_condition_failure(&err) => {
                let record = self.fetch(approval_id).await?;
                if record.status == closing.status {
                    Ok(record)
                } else {
                    Err(StoreError::NotPending(Box::new(record)))
                }
            }
            Err(err) => Err(self.aws_error("UpdateItem", err)),
        }
    }

    /// The `UpdateItem` that closes a pending record as `closing` says, its
    /// claim removed; `cancel` narrows its condition.
    fn closing_update(&self, approval_id: &str, closing: &Closing<'_>) -> UpdateItemFluentBuilder {
        let mut update = self
            .update_pending(approval_id)
            .expression_attribute_names("#dat", attr::DECIDED_AT)
            .expression_attribute_names("#co", attr::CLAIM_OUTCOME)
            .expression_attribute_names("#cby", attr::CLAIM_BY)
            .expression_attribute_names("#cat", attr::CLAIM_AT)
            .expression_attribute_names("#cc", attr::CLAIM_COMMENT)
            .expression_attribute_names("#cp", attr::CLAIM_PROOF)
            .expression_attribute_values(":status", s(closing.status.as_str()))
            .expression_attribute_values(":dat", s(closing.decided_at.to_string()))
            .return_values(ReturnValue::AllNew);
        let optional = [
            ("#dby", ":dby", attr::DECIDED_BY, closing.decided_by),
            ("#comment", ":comment", attr::COMMENT, closing.comment),
            (
                "#dev",
                ":dev",
                attr::DECISION_EVIDENCE,
                closing.evidence.map(Evidence::as_str),
            ),
            (
                "#dfor",
                ":dfor",
                attr::DECIDED_ON_BEHALF_OF,
                closing.on_behalf_of,
            ),
        ];
        let mut set = vec!["#status = :status".to_owned(), "#dat = :dat".to_owned()];
        for (name, value, attribute, text) in optional {
            if let Some(text) = text {
                set.push(format!("{name} = {value}"));
                update = update
                    .expression_attribute_names(name, attribute)
                    .expression_attribute_values(value, s(text));
            }
        }
        if let Some(approval) = closing.approval {
            set.push("#ap = list_append(if_not_exists(#ap, :none), :ap)".to_owned());
            update = update
                .expression_attribute_names("#ap", attr::APPROVALS)
                .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
                .expression_attribute_values(
                    ":ap",
                    AttributeValue::L(vec![json_attribute(approval)]),
                );
        }
        let expression = format!("SET {} REMOVE #co, #cby, #cat, #cc, #cp", set.join(", "));
        update.update_expression(expression)
    }

    /// Adds a refused decision to a pending record's audit trail, and
    /// releases the claim its verified sender holds, so the next approver
    /// need not wait out the lease. A record no longer pending keeps what it
    /// has.
    pub async fn record_refusal(
        &self,
        approval_id: &str,
        refusal: &Refusal,
    ) -> Result<ApprovalRecord, StoreError> {
        let one = AttributeValue::L(vec![json_attribute(refusal)]);
        let release = refusal.principal.as_deref().map(|by| (by, refusal.outcome));
        self.append_releasing(approval_id, attr::REFUSALS, one, release)
            .await
    }

    /// Counts an approval on a pending request that needs more, and
    /// releases the approver's claim so the next approver can claim. A
    /// retried step finds its approval counted and changes nothing.
    pub async fn record_approval(
        &self,
        approval_id: &str,
        approval: &Approval,
    ) -> Result<ApprovalRecord, StoreError> {
        let one = AttributeValue::L(vec![json_attribute(approval)]);
        let release = Some((
            approval.by.as_str(),
            hitl_contract::record::Outcome::Approved,
        ));
        self.append_releasing(approval_id, attr::APPROVALS, one, release)
            .await
    }

    /// Marks the reminder due at `due` as sent on a pending record; a
    /// retried step finds it marked and changes nothing. A record no longer
    /// pending is [`StoreError::NotPending`]: nobody needs reminding.
    pub async fn record_reminder(
        &self,
        approval_id: &str,
        due: Timestamp,
    ) -> Result<ApprovalRecord, StoreError> {
        let one = AttributeValue::L(vec![json_attribute(&due)]);
        self.append_releasing(approval_id, attr::REMINDED, one, None)
            .await
    }

    /// Marks a pending record escalated at `due` and gives it the widened
    /// `policy`, in one write, once: a retried step finds it escalated and
    /// changes nothing. A record no longer pending is
    /// [`StoreError::NotPending`]: nobody needs telling.
    pub async fn record_escalation(
        &self,
        approval_id: &str,
        due: Timestamp,
        policy: &ApproverPolicy,
    ) -> Result<ApprovalRecord, StoreError> {
        let result = self
            .update_pending(approval_id)
            .update_expression("SET #esc = :esc, #policy = :policy")
            .condition_expression(
                "attribute_exists(#id) AND #status = :pending AND attribute_not_exists(#esc)",
            )
            .expression_attribute_names("#esc", attr::ESCALATED)
            .expression_attribute_names("#policy", attr::POLICY)
            .expression_attribute_values(":esc", s(due.to_string()))
            .expression_attribute_values(":policy", json_attribute(policy))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => written(out),
            Err(err) if is_condition_failure(&err) => {
                let record = self.fetch(approval_id).await?;
                match (record.status, record.escalated) {
                    (Status::Pending, Some(_)) => Ok(record),
                    _ => Err(self.why_not(record, Timestamp::now())),
                }
            }
            Err(err) => Err(self.aws_error("UpdateItem", err)),
        }
    }

    /// Appends `one` (a one-element list) to the list attribute `list` of a
    /// pending record, unless it holds that element already. With
    /// `release`, the same write removes the claim when `by` holds it for
    /// that outcome; when someone else holds the claim, it stays.
    async fn append_releasing(
        &self,
        approval_id: &str,
        list: &'static str,
        one: AttributeValue,
        release: Option<(&str, hitl_contract::record::Outcome)>,
    ) -> Result<ApprovalRecord, StoreError> {
        let element = match &one {
            AttributeValue::L(items) => items.first().cloned(),
            _ => None,
        };
        let append = |releasing: bool| {
            let mut update = self
                .update_pending(approval_id)
                .expression_attribute_names("#list", list)
                .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
                .expression_attribute_values(":one", one.clone())
                .return_values(ReturnValue::AllNew);
            let mut condition = "attribute_exists(#id) AND #status = :pending \
                 AND (attribute_not_exists(#list) OR NOT contains(#list, :elem))"
                .to_owned();
            if let Some(element) = &element {
                update = update.expression_attribute_values(":elem", element.clone());
            }
            let mut expression =
                "SET #list = list_append(if_not_exists(#list, :none), :one)".to_owned();
            if let (true, Some((by, outcome))) = (releasing, release) {
                condition.push_str(" AND #co = :co AND #cby = :cby");
                expression.push_str(" REMOVE #co, #cby, #cat, #cc, #cp");
                update = update
                    .expression_attribute_names("#co", attr::CLAIM_OUTCOME)
                    .expression_attribute_names("#cby", attr::CLAIM_BY)
                    .expression_attribute_names("#cat", attr::CLAIM_AT)
                    .expression_attribute_names("#cc", attr::CLAIM_COMMENT)
                    .expression_attribute_names("#cp", attr::CLAIM_PROOF)
                    .expression_attribute_values(":co", s(outcome.status().as_str()))
                    .expression_attribute_values(":cby", s(by));
            }
            update
                .update_expression(expression)
                .condition_expression(condition)
        };
        let mut releasing = release.is_some();
        loop {
            match append(releasing).send().await {
                Ok(out) => return written(out),
                Err(err) if is_condition_failure(&err) => {
                    let record = self.fetch(approval_id).await?;
                    let item = record.to_item();
                    let held = match (item.get(list), &element) {
                        (Some(AttributeValue::L(items)), Some(element)) => items.contains(element),
                        _ => false,
                    };
                    if record.status != Status::Pending {
                        return Err(StoreError::NotPending(Box::new(record)));
                    }
                    if held {
                        return Ok(record);
                    }
                    if !releasing {
                        return Err(self.why_not(record, Timestamp::now()));
                    }
                    // Someone else holds the claim (or none is held): append only.
                    releasing = false;
                }
                Err(err) => return Err(self.aws_error("UpdateItem", err)),
            }
        }
    }

    /// Records `Expired` on a pending record that holds no claim: the
    /// workflow's deadline path. A claim is never erased here; when one is
    /// found the answer is [`StoreError::ClaimedByOther`] and the caller
    /// records that claim instead. An already expired record is a success.
    pub async fn expire_unclaimed(
        &self,
        approval_id: &str,
        now: Timestamp,
    ) -> Result<ApprovalRecord, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::APPROVAL_ID, s(approval_id))
            .update_expression("SET #status = :expired, #dat = :dat")
            .condition_expression(
                "attribute_exists(#id) AND #status = :pending AND attribute_not_exists(#co)",
            )
            .expression_attribute_names("#id", attr::APPROVAL_ID)
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#dat", attr::DECIDED_AT)
            .expression_attribute_names("#co", attr::CLAIM_OUTCOME)
            .expression_attribute_values(":pending", s(Status::Pending.as_str()))
            .expression_attribute_values(":expired", s(Status::Expired.as_str()))
            .expression_attribute_values(":dat", s(now.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => written(out),
            Err(err) if is_condition_failure(&err) => {
                let record = self.fetch(approval_id).await?;
                match record.claim.clone() {
                    _ if record.status == Status::Expired => Ok(record),
                    _ if record.status != Status::Pending => {
                        Err(StoreError::NotPending(Box::new(record)))
                    }
                    Some(claim) => Err(StoreError::ClaimedByOther {
                        record: Box::new(record),
                        claim: Box::new(claim),
                    }),
                    None => Err(self.why_not(record, now)),
                }
            }
            Err(err) => Err(self.aws_error("UpdateItem", err)),
        }
    }

    /// Cancels a pending request that nobody is deciding (no claim, or one
    /// past its lease). Cancelling one that is already cancelled succeeds (a
    /// retry after a failed stop).
    pub async fn cancel(
        &self,
        approval_id: &str,
        by: &str,
        on_behalf_of: Option<&str>,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<ApprovalRecord, StoreError> {
        let closing = Closing {
            status: Status::Cancelled,
            decided_by: Some(by),
            decided_at: now,
            comment: reason,
            evidence: None,
            on_behalf_of,
            approval: None,
        };
        // Nobody may be deciding it: no claim, or one past its lease.
        let update = self
            .closing_update(approval_id, &closing)
            .condition_expression(
                "attribute_exists(#id) AND #status = :pending \
                 AND (attribute_not_exists(#co) OR #cat <= :stale)",
            )
            .expression_attribute_values(":stale", s(now.minus(CLAIM_LEASE).to_string()));
        match update.send().await {
            Ok(out) => written(out),
            Err(err) if is_condition_failure(&err) => match self.explain_at(approval_id, now).await
            {
                StoreError::NotPending(record) if record.status == Status::Cancelled => Ok(*record),
                other => Err(other),
            },
            Err(err) => Err(self.aws_error("UpdateItem", err)),
        }
    }

    /// Records of one status, newest first, through the by-status index.
    pub async fn list(
        &self,
        status: Status,
        limit: Option<usize>,
    ) -> Result<Vec<ApprovalRecord>, StoreError> {
        let mut pages = self.pages(status, &ListQuery::default());
        let mut records = Vec::new();
        while let Some(page) = pages.next_page().await? {
            records.extend(page);
            if let Some(limit) = limit.filter(|limit| records.len() >= *limit) {
                records.truncate(limit);
                break;
            }
        }
        Ok(records)
    }

    /// Why a claim through a link failed: the link was used, is not the
    /// record's, or the request cannot be decided any more.
    /// Why `record` refused a claim through the link whose hash is `hash`.
    fn why_not_by_link(&self, record: ApprovalRecord, hash: &str, now: Timestamp) -> StoreError {
        if record.links_used.contains(hash) {
            StoreError::LinkUsed(Box::new(record))
        } else if record.status == Status::Pending && !record.links.contains(hash) {
            StoreError::LinkUnknown(record.approval_id)
        } else {
            self.why_not(record, now)
        }
    }

    /// The records of one status that `query` selects, newest first, one
    /// page at a time: a caller that handles each page before asking for the
    /// next holds one page in memory however large the table is.
    pub fn pages(&self, status: Status, query: &ListQuery) -> RecordPages {
        RecordPages {
            store: self.clone(),
            status,
            query: query.clone(),
            next_key: None,
            done: false,
        }
    }

    /// Why a conditional write on a record failed, read back from the record.
    async fn explain(&self, approval_id: &str) -> StoreError {
        self.explain_at(approval_id, Timestamp::now()).await
    }

    async fn explain_at(&self, approval_id: &str, now: Timestamp) -> StoreError {
        match self.get(approval_id).await {
            Ok(Some(record)) => self.why_not(record, now),
            Ok(None) => StoreError::NotFound(approval_id.to_owned()),
            Err(err) => err,
        }
    }

    /// Why `record` refused a conditional write at `now`.
    fn why_not(&self, record: ApprovalRecord, now: Timestamp) -> StoreError {
        let approval_id = record.approval_id.clone();
        if record.status != Status::Pending {
            StoreError::NotPending(Box::new(record))
        } else if record.is_past_expiry(now) {
            StoreError::PastExpiry(Box::new(record))
        } else if let Some(claim) = record.claim.clone() {
            StoreError::ClaimedByOther {
                record: Box::new(record),
                claim: Box::new(claim),
            }
        } else {
            StoreError::Changed(approval_id)
        }
    }
}

/// The record an update wrote (it asked for `ALL_NEW`).
fn written(
    out: aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
) -> Result<ApprovalRecord, StoreError> {
    Ok(ApprovalRecord::from_item(
        &out.attributes.unwrap_or_default(),
    )?)
}

/// What a listing selects besides the status: applied by DynamoDB (the
/// time as a key condition on the index's sort key, the requester as a
/// filter expression), never after the fact.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    /// Only records created at or after this time.
    pub created_since: Option<Timestamp>,
    /// Only records from this requester: the verified one, or the one it
    /// was submitted on behalf of (a CI role asking for a person).
    pub requester: Option<String>,
    /// Items DynamoDB evaluates per page (its `Limit`); its 1 MB page cap
    /// applies either way.
    pub page_size: Option<i32>,
}

/// Pages of one status's records, newest first (see [`ApprovalStore::pages`]).
#[derive(Debug)]
pub struct RecordPages {
    store: ApprovalStore,
    status: Status,
    query: ListQuery,
    next_key: Option<HashMap<String, AttributeValue>>,
    done: bool,
}

impl RecordPages {
    /// The next non-empty page, or `None` when the listing is complete.
    pub async fn next_page(&mut self) -> Result<Option<Vec<ApprovalRecord>>, StoreError> {
        while !self.done {
            let store = &self.store;
            let mut key_condition = "#status = :status".to_owned();
            let mut request = store
                .client
                .query()
                .table_name(&store.table)
                .index_name(STATUS_INDEX)
                .expression_attribute_names("#status", attr::STATUS)
                .expression_attribute_values(":status", s(self.status.as_str()))
                .scan_index_forward(false)
                .set_limit(self.query.page_size)
                .set_exclusive_start_key(self.next_key.take());
            if let Some(since) = self.query.created_since {
                // Fixed-width timestamps sort as text (see `Timestamp`).
                key_condition.push_str(" AND #created >= :since");
                request = request
                    .expression_attribute_names("#created", attr::CREATED_AT)
                    .expression_attribute_values(":since", s(since.to_string()));
            }
            if let Some(requester) = &self.query.requester {
                request = request
                    .filter_expression("#requester = :requester OR #for = :requester")
                    .expression_attribute_names("#requester", attr::REQUESTER)
                    .expression_attribute_names("#for", attr::REQUESTED_ON_BEHALF_OF)
                    .expression_attribute_values(":requester", s(requester));
            }
            let out = request
                .key_condition_expression(key_condition)
                .send()
                .await
                .map_err(|e| store.aws_error("Query", e))?;
            self.next_key = out.last_evaluated_key.filter(|key| !key.is_empty());
            self.done = self.next_key.is_none();
            // Each item is dropped as soon as it is read.
            let records = out
                .items
                .unwrap_or_default()
                .into_iter()
                .map(|item| ApprovalRecord::from_item(&item))
                .collect::<Result<Vec<_>, _>>()?;
            if !records.is_empty() {
                return Ok(Some(records));
            }
        }
        Ok(None)
    }
}

/// The record a conditional `UpdateItem` lost to, when DynamoDB returned it
/// (`ReturnValuesOnConditionCheckFailure`).
fn lost_to(
    err: &SdkError<UpdateItemError, HttpResponse>,
) -> Option<Result<ApprovalRecord, StoreError>> {
    match err.as_service_error()? {
        UpdateItemError::ConditionalCheckFailedException(e) => e
            .item()
            .filter(|item| !item.is_empty())
            .map(|item| ApprovalRecord::from_item(item).map_err(StoreError::from)),
        _ => None,
    }
}

fn is_condition_failure<E, R>(err: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

/// What to do about a failed DynamoDB call, when its kind is known.
fn advice<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&'static str> {
    let service = match err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            return Some("Could not reach DynamoDB: check the network and the endpoint (AWS_ENDPOINT_URL_DYNAMODB), then try again.")
        }
        SdkError::ServiceError(service) => service.err(),
        _ => return None,
    };
    Some(match service.code()? {
        "ThrottlingException" | "ProvisionedThroughputExceededException" | "RequestLimitExceeded" => {
            "DynamoDB is throttling requests: wait a moment and try again."
        }
        "AccessDeniedException" => {
            "The caller lacks a permission this needs: see the permissions in the README (`hitl doctor` checks them)."
        }
        "ResourceNotFoundException" => "The table does not exist: check the stack with `hitl doctor`.",
        "UnrecognizedClientException" | "ExpiredTokenException" | "InvalidSignatureException" => {
            "The AWS credentials were refused or have expired: refresh them and try again."
        }
        "InternalServerError" | "ServiceUnavailable" => "DynamoDB failed to answer: try again.",
        _ => return None,
    })
}
