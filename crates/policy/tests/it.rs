//! Tests of the confidence gate: the seed defaults, both wire shapes, criticality globs and bad input.

use policy::{Decision, Policy, PolicyError, Probability, SerializablePolicy};

#[test]
fn seed_defaults_decide_by_environment_and_criticality() {
    let p = Policy::from_config(SerializablePolicy {
        critical: vec!["src/billing/**".into()],
        ..Default::default()
    })
    .unwrap();
    let d = |env, path, c| p.decide(env, path, Probability::new(c)).unwrap();
    assert_eq!(d("production", "src/billing/pay.rs", 0.95), Decision::Apply);
    assert_eq!(
        d("production", "src/billing/pay.rs", 0.94),
        Decision::Propose
    );
    assert_eq!(d("production", "src/billing/pay.rs", 0.5), Decision::Notify);
    assert_eq!(
        d("production", "src/billing/pay.rs", 0.49),
        Decision::Record
    );
    assert_eq!(d("production", "src/ui.rs", 0.85), Decision::Apply);
    assert_eq!(d("staging", "src/ui.rs", 0.75), Decision::Apply);
    assert_eq!(d("staging", "src/ui.rs", 0.3), Decision::Notify);
    assert_eq!(d("staging", "src/billing/x.rs", 0.4), Decision::Notify);
    // A developer's own tree: more likely right than wrong, with a margin, may be applied on request.
    assert_eq!(d("local", "src/ui.rs", 0.7), Decision::Apply);
    assert_eq!(d("local", "src/ui.rs", 0.69), Decision::Propose);
    assert_eq!(d("local", "src/billing/x.rs", 0.7), Decision::Propose);
    assert_eq!(
        p.decide("qa", "x.rs", Probability::new(0.9))
            .unwrap_err()
            .to_string(),
        "policy: unknown environment `qa` (known: local, production, staging)"
    );
}

#[test]
fn seed_json_shape_is_accepted() {
    let json = r#"{"remediationPolicies": {"production": {
        "critical": {"autoRemediateConfidenceThreshold": 0.99, "requireApprovalThreshold": 0.8, "notifyOnlyThreshold": 0.6},
        "nonCritical": {"autoRemediateConfidenceThreshold": 0.9, "requireApprovalThreshold": 0.7, "notifyOnlyThreshold": 0.5}}}}"#;
    let p = Policy::from_seed_json(json, vec!["core/**".into()]).unwrap();
    assert_eq!(
        p.decide("production", "core/a.rs", Probability::new(0.95))
            .unwrap(),
        Decision::Propose
    );
    assert_eq!(
        p.decide("production", "app/a.rs", Probability::new(0.95))
            .unwrap(),
        Decision::Apply
    );
}

#[test]
fn toml_overrides_and_bad_values_are_precise() {
    let config: SerializablePolicy = toml::from_str(
        "critical = [\"src/**\"]\n[environments.staging.critical]\nauto_remediate = 0.9\nrequire_approval = 0.7\nnotify_only = 0.2\n",
    )
    .unwrap();
    let p = Policy::from_config(config).unwrap();
    assert_eq!(
        p.decide("staging", "src/a.rs", Probability::new(0.8))
            .unwrap(),
        Decision::Propose
    );
    assert_eq!(
        p.decide("production", "src/a.rs", Probability::new(0.95))
            .unwrap(),
        Decision::Apply
    );
    let bad: SerializablePolicy =
        toml::from_str("[environments.staging.critical]\nauto_remediate = 0.5\nrequire_approval = 0.7\nnotify_only = 0.2\n").unwrap();
    assert_eq!(
        Policy::from_config(bad).unwrap_err(),
        PolicyError::Unordered {
            env: "staging".into(),
            criticality: "critical".into()
        }
    );
    let out: SerializablePolicy =
        toml::from_str("[environments.dev.nonCritical]\nauto_remediate = 1.5\nrequire_approval = 0.7\nnotify_only = 0.2\n").unwrap();
    assert_eq!(
        Policy::from_config(out).unwrap_err().to_string(),
        "policy `dev`/`nonCritical`: `autoRemediate` is 1.5, outside [0, 1]"
    );
    assert!(toml::from_str::<SerializablePolicy>("typo = 1\n").is_err());
}
