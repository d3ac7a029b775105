//! template.yaml's least-privilege rules, checked by a test: no wildcard
//! action or resource in any policy statement, and every function with a
//! role of our own (SAM's generated role for a durable function carries
//! `AWSLambdaBasicDurableExecutionRolePolicy`, whose statements use `*`).
//!
//! One wildcard is allowed: a trailing `:*` after a named function's ARN,
//! which stands for its versions; durable actions are authorised on execution
//! ARNs under those (`function:NAME:VERSION/durable-execution/...`).
//! A statement written as `!If [condition, then, else]` is checked in both
//! branches (the deploy may take either), `AWS::NoValue` being none.

use serde_yaml::Value;

/// Every breach of the rules in `template`, each saying where.
pub fn breaches(template: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let Some(resources) = template.get("Resources").and_then(Value::as_mapping) else {
        return vec!["the template has no Resources".into()];
    };
    for (name, resource) in resources {
        let name = name.as_str().unwrap_or("?");
        let kind = resource.get("Type").and_then(Value::as_str).unwrap_or("");
        let props = resource.get("Properties");
        if kind == "AWS::Serverless::Function" && props.and_then(|p| p.get("Role")).is_none() {
            found.push(format!(
                "{name}: a function without a Role of ours gets SAM's generated one"
            ));
        }
        if props.and_then(|p| p.get("ManagedPolicyArns")).is_some() {
            found.push(format!(
                "{name}: managed policies are not ours to scope; write the statements"
            ));
        }
        if let Some(props) = props {
            statements(name, props, &mut found);
        }
    }
    found
}

/// Checks every `Statement` under `value`.
fn statements(resource: &str, value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                if key.as_str() == Some("Statement") {
                    for statement in child.as_sequence().into_iter().flatten() {
                        for branch in branches(statement) {
                            check_statement(resource, branch, found);
                        }
                    }
                } else {
                    statements(resource, child, found);
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|v| statements(resource, v, found)),
        Value::Tagged(tagged) => statements(resource, &tagged.value, found),
        _ => {}
    }
}

/// The statements a policy entry can be: itself, or each branch of an
/// `!If [condition, then, else]` (`Fn::If`), without `AWS::NoValue`.
fn branches(entry: &Value) -> Vec<&Value> {
    let choices = match entry {
        Value::Tagged(tagged) if tagged.tag == "If" => tagged.value.as_sequence(),
        Value::Mapping(map) if map.len() == 1 => map.get("Fn::If").and_then(Value::as_sequence),
        _ => None,
    };
    match choices {
        Some(items) if items.len() == 3 => items[1..]
            .iter()
            .filter(|branch| !is_no_value(branch))
            .flat_map(branches)
            .collect(),
        _ => vec![entry],
    }
}

/// `!Ref AWS::NoValue` or `{Ref: AWS::NoValue}`.
fn is_no_value(value: &Value) -> bool {
    match value {
        Value::Tagged(tagged) => {
            tagged.tag == "Ref" && tagged.value.as_str() == Some("AWS::NoValue")
        }
        Value::Mapping(map) => map.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue"),
        _ => false,
    }
}

fn check_statement(resource: &str, statement: &Value, found: &mut Vec<String>) {
    let sid = statement
        .get("Sid")
        .and_then(Value::as_str)
        .unwrap_or("(no Sid)");
    for key in ["NotAction", "NotResource"] {
        if statement.get(key).is_some() {
            found.push(format!("{resource} {sid}: {key} grants everything else"));
        }
    }
    for action in strings(statement.get("Action")) {
        if action.contains('*') {
            found.push(format!("{resource} {sid}: wildcard action `{action}`"));
        }
    }
    // Trust and resource policies name a Principal instead of a Resource.
    if statement.get("Resource").is_none() && statement.get("Principal").is_none() {
        found.push(format!("{resource} {sid}: no Resource"));
    }
    for arn in strings(statement.get("Resource")) {
        if arn.contains('*') && !is_function_versions(&arn) {
            found.push(format!("{resource} {sid}: wildcard resource `{arn}`"));
        }
    }
}

/// `...:function:NAME:*` with no other wildcard: one function's versions.
fn is_function_versions(arn: &str) -> bool {
    arn.strip_suffix(":*").is_some_and(|rest| {
        !rest.contains('*')
            && rest
                .rsplit_once(":function:")
                .map(|(_, name)| without_placeholders(name))
                .is_some_and(|name| !name.is_empty() && !name.contains(':'))
    })
}

/// `text` without its `${...}` placeholders (which hold `::` themselves).
fn without_placeholders(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push('X');
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The texts in a policy value: a string, a list, or an intrinsic such as
/// `!Sub` (whose first element is the text) or `!GetAtt`.
pub fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        None => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(items)) => items.iter().flat_map(|v| strings(Some(v))).collect(),
        Some(Value::Tagged(tagged)) => match &tagged.value {
            // `!Sub [text, {vars}]`: the text is what matters.
            Value::Sequence(items) => strings(items.first()),
            other => strings(Some(other)),
        },
        Some(Value::Mapping(map)) => map.values().flat_map(|v| strings(Some(v))).collect(),
        Some(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Paths;

    fn parse(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn template_yaml_has_no_wildcards_and_only_our_roles() {
        let path = Paths::discover().repo.join("template.yaml");
        let template = parse(&std::fs::read_to_string(path).unwrap());
        assert_eq!(breaches(&template), Vec::<String>::new());
    }

    #[test]
    fn both_branches_of_a_conditional_statement_are_checked() {
        let template = parse(
            r#"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyDocument:
            Statement:
              - !If
                - HasKey
                - Sid: KeyOnly
                  Effect: Allow
                  Action: kms:Decrypt
                  Resource: !Ref KmsKeyArn
                - !Ref AWS::NoValue
              - Fn::If:
                  - HasKey
                  - Sid: Scoped
                    Effect: Allow
                    Action: kms:Decrypt
                    Resource: !Ref KmsKeyArn
                  - Sid: AnyKey
                    Effect: Allow
                    Action: kms:Decrypt
                    Resource: "*"
"#,
        );
        let found = breaches(&template);
        assert_eq!(
            found,
            vec!["Role AnyKey: wildcard resource `*`".to_owned()],
            "{found:#?}"
        );
    }

    #[test]
    fn every_kind_of_wildcard_is_caught() {
        let template = parse(
            r#"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy]
      Policies:
        - PolicyDocument:
            Statement:
              - Sid: Star
                Effect: Allow
                Action: dynamodb:GetItem
                Resource: "*"
              - Sid: ServiceWide
                Effect: Allow
                Action: [sns:*]
                Resource: !Ref Topic
              - Sid: SubStar
                Effect: Allow
                Action: lambda:CheckpointDurableExecution
                Resource: !Sub arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*
              - Sid: Versions
                Effect: Allow
                Action: lambda:CheckpointDurableExecution
                Resource: !Sub arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-wf:*
              - Sid: Everything
                Effect: Allow
                NotAction: iam:*
                Resource: !Ref Topic
  Function:
    Type: AWS::Serverless::Function
    Properties:
      Handler: bootstrap
"#,
        );
        let found = breaches(&template);
        let expect = [
            "Function: a function without a Role",
            "Role: managed policies",
            "Role Star: wildcard resource `*`",
            "Role ServiceWide: wildcard action `sns:*`",
            "Role SubStar: wildcard resource",
            "Role Everything: NotAction",
        ];
        for e in expect {
            assert!(
                found.iter().any(|f| f.starts_with(e)),
                "missed {e}: {found:#?}"
            );
        }
        assert!(!found.iter().any(|f| f.contains("Versions")), "{found:#?}");
        assert_eq!(found.len(), expect.len(), "{found:#?}");
    }
}
