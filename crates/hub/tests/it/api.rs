//! The HTTP API against each storage backend: signed requests, bad input, idempotency,
//! revocation, enrollment, the unit configuration.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::Utc;
use sync::wire::{self, EnrollRequest, ItemStatus, PushRequest, PushResponse, SignedUnit, UnitDocument};
use sync::{RequestSigner, SyncError};

use crate::support::*;

fn push_body(items: Vec<wire::PushItem>) -> Vec<u8> {
    serde_json::to_vec(&PushRequest { records: items }).unwrap()
}

#[test]
fn health_names_the_storage() {
    for b in backends() {
        let h = TestHub::start(&b);
        let body: serde_json::Value = ureq::get(&format!("{}/health", h.url)).call().unwrap().into_json().unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["storage"], b.name());
    }
}

#[test]
fn nw_08_bad_input_gets_a_clear_4xx_and_writes_nothing() {
    for b in backends() {
        let h = TestHub::start(&b);
        let dev = h.sim_device("4471");
        let stranger = new_key(&dev.id);
        let unknown = new_key("0190aaaa-0000-7000-8000-000000000000");
        let good = fake_envelope("good");
        let mixed =
            push_body(vec![item("r-good", &good), wire::PushItem { sha256: "00".repeat(32), ..item("r-bad", &good) }]);
        let big = vec![b'a'; (4 << 20) + 10];
        let cases: Vec<(&str, Raw, u16, &str, &str)> = vec![
            (
                "unsigned",
                Raw::now(&dev, "POST", "/v1/records", push_body(vec![item("r1", &good)])).without(wire::H_SIGNATURE),
                401,
                "unsigned",
                "x-fs-signature",
            ),
            (
                "signed by another key",
                Raw::now(&stranger, "POST", "/v1/records", push_body(vec![item("r1", &good)])),
                401,
                "bad-signature",
                "does not verify",
            ),
            (
                "unknown device",
                Raw::now(&unknown, "POST", "/v1/records", push_body(vec![item("r1", &good)])),
                401,
                "unknown-device",
                "not enrolled",
            ),
            (
                "stale time",
                Raw::signed(
                    &dev,
                    "POST",
                    "/v1/records",
                    push_body(vec![item("r1", &good)]),
                    Utc::now().timestamp() - 3600,
                    "0123456789abcdef0123",
                ),
                401,
                "stale",
                "hub's clock",
            ),
            (
                "future time",
                Raw::signed(
                    &dev,
                    "POST",
                    "/v1/records",
                    push_body(vec![item("r1", &good)]),
                    Utc::now().timestamp() + 3600,
                    "0123456789abcdef0124",
                ),
                401,
                "stale",
                "clock",
            ),
            (
                "bad nonce",
                Raw::signed(
                    &dev,
                    "POST",
                    "/v1/records",
                    push_body(vec![item("r1", &good)]),
                    Utc::now().timestamp(),
                    "xyz",
                ),
                400,
                "invalid",
                "nonce",
            ),
            (
                "malformed JSON",
                Raw::now(&dev, "POST", "/v1/records", b"{\"records\": [".to_vec()),
                400,
                "invalid",
                "not valid",
            ),
            ("one bad item among good ones", Raw::now(&dev, "POST", "/v1/records", mixed), 400, "invalid", "r-bad"),
            (
                "plaintext instead of an envelope",
                Raw::now(&dev, "POST", "/v1/records", push_body(vec![item("r1", b"{\"answers\": []}")])),
                400,
                "invalid",
                "not an age-encrypted",
            ),
            (
                "bad record id",
                Raw::now(&dev, "PUT", "/v1/records/a%20b", good.clone()),
                400,
                "invalid",
                "not a plain id",
            ),
            ("oversized body", Raw::now(&dev, "PUT", "/v1/records/r-big", big), 413, "too-large", "length limit"),
            (
                "device asks for the unit's records",
                Raw::now(&dev, "GET", "/v1/records", vec![]),
                403,
                "forbidden",
                "unit custodian",
            ),
            (
                "device publishes a unit configuration",
                Raw::now(&dev, "PUT", "/v1/unit", b"{}".to_vec()),
                403,
                "forbidden",
                "unit custodian",
            ),
            ("unknown route", Raw::now(&dev, "GET", "/v1/nothing", vec![]), 404, "not-found", "/v1/nothing"),
        ];
        for (what, raw, status, kind, says) in cases {
            let (s, k, m) = raw.refused(&h.url);
            assert_eq!((s, k.as_str()), (status, kind), "{}: {what}: {m}", b.name());
            assert!(m.contains(says), "{}: {what}: `{m}` should say `{says}`", b.name());
        }
        assert_eq!(h.record_count(), 0, "{}: nothing was written", b.name());
    }
}

#[test]
fn nw_03_a_replayed_request_is_refused() {
    for b in backends() {
        let h = TestHub::start(&b);
        let dev = h.sim_device("4471");
        let raw = Raw::now(&dev, "POST", "/v1/records", push_body(vec![item("r1", &fake_envelope("1"))]));
        assert_eq!(raw.send(&h.url).0, 200);
        let (s, kind, _) = raw.refused(&h.url);
        assert_eq!((s, kind.as_str()), (401, "replay"), "{}", b.name());
        assert_eq!(h.record_count(), 1);
    }
}

#[test]
fn nw_04_same_id_and_hash_is_accepted_again_with_the_original_receipt_other_content_is_409() {
    for b in backends() {
        let h = TestHub::start(&b);
        let dev = h.sim_device("4471");
        let c = h.client();
        let (e1, e2) = (fake_envelope("one"), fake_envelope("two"));
        let first = c.push(&dev, vec![item("rec-1", &e1)]).unwrap().results.remove(0);
        assert_eq!(first.status, ItemStatus::Stored);
        let receipt = first.receipt.unwrap();
        assert!(
            receipt.confirms("rec-1", &dev.id, &wire::sha256_hex(&e1)),
            "NW-05: the receipt binds record, device and hash"
        );
        let again = c.push(&dev, vec![item("rec-1", &e1)]).unwrap().results.remove(0);
        assert_eq!(again.status, ItemStatus::Duplicate);
        assert_eq!(again.receipt.unwrap(), receipt, "{}: a replayed push gets the original receipt", b.name());
        let other = c.push(&dev, vec![item("rec-1", &e2)]).unwrap().results.remove(0);
        assert_eq!(other.status, ItemStatus::Conflict);
        assert!(other.error.unwrap().contains("not overwritten"));
        let (s, kind, _) = Raw::now(&dev, "PUT", "/v1/records/rec-1", e2.clone()).refused(&h.url);
        assert_eq!((s, kind.as_str()), (409, "conflict"));
        assert_eq!(
            Raw::now(&dev, "PUT", "/v1/records/rec-1", e1.clone()).send(&h.url).0,
            200,
            "same bytes by PUT: accepted again"
        );
        assert_eq!(Raw::now(&dev, "PUT", "/v1/records/rec-2", e2.clone()).send(&h.url).0, 201);
        let (bytes, device, sha) = c.envelope(h.unit.as_ref(), "rec-1").unwrap();
        assert_eq!(
            (bytes, device, sha),
            (e1.clone(), dev.id.clone(), wire::sha256_hex(&e1)),
            "the first content stays"
        );
        assert_eq!(h.record_count(), 2);
        let other_dev = h.sim_device("4472");
        assert_eq!(
            c.push(&other_dev, vec![item("rec-1", &e1)]).unwrap().results[0].status,
            ItemStatus::Conflict,
            "another device cannot claim a record id"
        );
    }
}

#[test]
fn nw_03_a_revoked_device_gets_403_and_may_only_report_its_wipe() {
    for b in backends() {
        let h = TestHub::start(&b);
        let dev = h.sim_device("4471");
        let c = h.client();
        c.push(&dev, vec![item("r1", &fake_envelope("1"))]).unwrap();
        h.revoke(&dev.id, true);
        match c.push(&dev, vec![item("r2", &fake_envelope("2"))]) {
            Err(SyncError::Revoked { wipe: true }) => {}
            other => panic!("{}: expected revoked, got {other:?}", b.name()),
        }
        assert!(matches!(c.unit(&dev), Err(SyncError::Revoked { .. })));
        let (s, kind, _) = Raw::now(&dev, "GET", "/v1/status", vec![]).refused(&h.url);
        assert_eq!((s, kind.as_str()), (403, "revoked"));
        let report = serde_json::to_vec(&wire::WipeReport {
            device_id: dev.id.clone(),
            wiped_at: Utc::now().to_rfc3339(),
            wiped: true,
        })
        .unwrap();
        assert_eq!(Raw::now(&dev, "POST", "/v1/wipe-report", report).send(&h.url).0, 200);
        let info = h.devices().into_iter().find(|d| d.device_id == dev.id).unwrap();
        assert!(info.revoked_at.is_some() && info.wipe && info.wipe_reported_at.is_some());
        assert_eq!(info.records, 1, "nothing more was stored after the revocation");
        let keep = h.sim_device("4473");
        h.revoke(&keep.id, false);
        assert!(matches!(
            c.push(&keep, vec![item("r3", &fake_envelope("3"))]),
            Err(SyncError::Revoked { wipe: false })
        ));
    }
}

#[test]
fn enrollment_codes_are_one_time_and_prove_the_key() {
    for b in backends() {
        let h = TestHub::start(&b);
        let c = h.client();
        let key = new_key("0190bbbb-0000-7000-8000-000000000001");
        let code = h.code("4471");
        let req = |code: &str, signer: &sync::KeySigner| {
            let public_key = key.public_key();
            let proof = B64.encode(signer.sign(&wire::enroll_proof_input(code, &key.id, &public_key)).unwrap());
            EnrollRequest { code: code.into(), device_id: key.id.clone(), officer_id: None, public_key, proof }
        };
        let kind = |r: Result<wire::EnrollResponse, SyncError>| match r {
            Err(SyncError::Hub { status, kind, .. }) => (status, kind),
            other => panic!("{}: expected a refusal, got {other:?}", b.name()),
        };
        assert_eq!(kind(c.enroll(&req("AAAAA-BBBBB-CCCCC-DDDDD", &key))), (403, "bad-code".into()));
        assert_eq!(kind(c.enroll(&req(&code, &new_key("x")))), (401, "bad-signature".into()), "a proof by another key");
        let lower = code.to_lowercase().replace('-', " ");
        let resp = c.enroll(&req(&lower, &key)).unwrap();
        assert_eq!(resp.unit_key.as_deref(), Some(h.unit.public_key().as_str()));
        // The same device asking again with the same code and key (its first answer was lost):
        // the same answer, and still one device.
        let again = c.enroll(&req(&code, &key)).unwrap();
        assert_eq!((again.device_id.as_str(), again.unit_key.as_deref()), (key.id.as_str(), resp.unit_key.as_deref()));
        assert_eq!(h.devices().len(), 1);
        // Anyone else with the used code is refused, whatever key they prove.
        let other = new_key("0190bbbb-0000-7000-8000-000000000002");
        let other_req = {
            let public_key = other.public_key();
            let proof = B64.encode(other.sign(&wire::enroll_proof_input(&code, &other.id, &public_key)).unwrap());
            EnrollRequest { code: code.clone(), device_id: other.id.clone(), officer_id: None, public_key, proof }
        };
        assert_eq!(kind(c.enroll(&other_req)), (403, "code-used".into()));
        let code2 = h.code("4471");
        assert_eq!(kind(c.enroll(&req(&code2, &key))), (409, "device-exists".into()));
        let (s, k, _) =
            Raw { method: "POST".into(), path: "/v1/enroll".into(), headers: vec![], body: b"{\"code\": 1}".to_vec() }
                .refused(&h.url);
        assert_eq!((s, k.as_str()), (400, "invalid"));
        assert_eq!(h.devices().len(), 1);
    }
}

fn signed_unit(signer: &dyn RequestSigner, serial: u64, recipients: Vec<String>) -> SignedUnit {
    let doc = UnitDocument {
        format: wire::UNIT_FORMAT.into(),
        unit: "u".into(),
        serial,
        published: Utc::now().to_rfc3339(),
        recipients,
        files: Default::default(),
    };
    let bytes = serde_json::to_vec(&doc).unwrap();
    SignedUnit { document: B64.encode(&bytes), signature: B64.encode(signer.sign(&bytes).unwrap()) }
}

#[test]
fn the_unit_configuration_is_signed_by_the_unit_key_and_only_moves_forward() {
    for b in backends() {
        let h = TestHub::start(&b);
        let c = h.client();
        let dev = h.sim_device("4471");
        let r = vec![Custodian::new().recipient()];
        assert_eq!(c.unit(&dev).unwrap(), None);
        let forged = new_key("unit");
        match c.publish_unit(&forged, &signed_unit(&forged, 1, r.clone())) {
            Err(SyncError::Hub { status: 401, kind, .. }) => assert_eq!(kind, "bad-signature"),
            other => panic!("{other:?}"),
        }
        let (s, kind, _) = Raw::now(
            h.unit.as_ref(),
            "PUT",
            "/v1/unit",
            serde_json::to_vec(&signed_unit(&forged, 1, r.clone())).unwrap(),
        )
        .refused(&h.url);
        assert_eq!(
            (s, kind.as_str()),
            (422, "bad-signature"),
            "a request signed by the unit key carrying a document it did not sign"
        );
        c.publish_unit(h.unit.as_ref(), &signed_unit(h.unit.as_ref(), 5, r.clone())).unwrap();
        match c.publish_unit(h.unit.as_ref(), &signed_unit(h.unit.as_ref(), 5, r.clone())) {
            Err(SyncError::Hub { status: 409, kind, .. }) => assert_eq!(kind, "stale-serial"),
            other => panic!("{other:?}"),
        }
        let got = c.unit(&dev).unwrap().unwrap();
        let (doc, _) = got.open(&h.unit.public_key()).unwrap();
        assert_eq!((doc.serial, doc.recipients), (5, r));
    }
}

#[test]
fn the_custodian_lists_and_downloads_what_devices_pushed() {
    for b in backends() {
        let h = TestHub::start(&b);
        let c = h.client();
        let (d1, d2) = (h.sim_device("1"), h.sim_device("2"));
        c.push(&d1, (0..3).map(|i| item(&format!("a{i}"), &fake_envelope(&format!("a{i}")))).collect()).unwrap();
        let resp: PushResponse = c.push(&d2, vec![item("b0", &fake_envelope("b0"))]).unwrap();
        assert_eq!(resp.results.len(), 1);
        let all = c.list(h.unit.as_ref(), 0, 2).unwrap().records;
        assert_eq!(all.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["a0", "a1"]);
        let rest = c.list(h.unit.as_ref(), all[1].seq, 100).unwrap().records;
        assert_eq!(
            rest.iter().map(|m| (m.id.as_str(), m.device_id.as_str())).collect::<Vec<_>>(),
            [("a2", d1.id.as_str()), ("b0", d2.id.as_str())]
        );
        let devices = c.devices(h.unit.as_ref()).unwrap();
        assert_eq!(devices.iter().map(|d| d.records).collect::<Vec<_>>(), [3, 1]);
        assert!(matches!(c.envelope(h.unit.as_ref(), "nope"), Err(SyncError::Hub { status: 404, .. })));
    }
}

#[test]
fn enrollment_attempts_are_limited_per_source_and_per_code_with_retry_after() {
    for b in backends() {
        let h = TestHub::start_cfg(&b, false, |c| {
            c.enroll_limits = hub::config::EnrollLimits { per_source: 5, per_code: 2, window_secs: 60 }
        });
        let key = new_key("0190cccc-0000-7000-8000-000000000001");
        let code = h.code("4471");
        let attempt = |code: &str| {
            let public_key = key.public_key();
            let proof = B64.encode(new_key("x").sign(&wire::enroll_proof_input(code, &key.id, &public_key)).unwrap());
            let req =
                EnrollRequest { code: code.into(), device_id: key.id.clone(), officer_id: None, public_key, proof };
            match ureq::post(&format!("{}/v1/enroll", h.url)).send_json(&req) {
                Ok(r) => (r.status(), None, String::new()),
                Err(ureq::Error::Status(s, r)) => {
                    let retry = r.header("retry-after").map(|v| v.parse::<i64>().unwrap());
                    (s, retry, r.into_string().unwrap())
                }
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(attempt(&code).0, 401, "a proof by another key");
        assert_eq!(attempt(&code).0, 401);
        let (s, retry, body) = attempt(&code);
        assert_eq!(s, 429, "{}: the third try of one code: {body}", b.name());
        assert!(body.contains("rate-limited") && body.contains("with this code"), "{body}");
        assert!(retry.is_some_and(|r| (1..=61).contains(&r)), "Retry-After {retry:?}");
        assert_eq!(attempt("AAAAA-BBBBB-CCCCC-DDDDD").0, 401, "another code from the same source: 4 of 5");
        assert_eq!(attempt("AAAAA-BBBBB-CCCCC-DDDDE").0, 401, "5 of 5");
        let (s, retry, body) = attempt("AAAAA-BBBBB-CCCCC-DDDDF");
        assert_eq!(s, 429, "{}: the sixth from one address: {body}", b.name());
        assert!(body.contains("from this address") && retry.is_some(), "{body}");
        let (s, body) =
            Raw { method: "POST".into(), path: "/v1/enroll".into(), headers: vec![], body: b"{".to_vec() }.send(&h.url);
        assert_eq!(s, 429, "counted before the body is even read: {}", String::from_utf8_lossy(&body));
        let since = hub::stamp(chrono::Utc::now() - chrono::Duration::seconds(60));
        let seen = h.rt.block_on(h.store().enroll_attempts(&since)).unwrap();
        let source = seen.iter().find(|a| a.scope == "source").unwrap();
        assert_eq!((source.key.as_deref(), source.attempts), (Some("127.0.0.1"), 7), "{}: {seen:?}", b.name());
        assert_eq!(
            seen.iter().filter(|a| a.scope == "code").count(),
            3,
            "the refused sixth was not read, so its code was not counted"
        );
        assert!(seen.iter().filter(|a| a.scope == "code").all(|a| a.key.is_none()), "code hashes are not shown");
        assert!(h.devices().is_empty(), "nothing enrolled");
    }
}
