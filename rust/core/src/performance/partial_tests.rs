//! Tests of the performance partials: split-merge equality, forged bytes, classes.
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use super::super::partial::*;
use crate::performance::columns::Positive;
use crate::performance::evaluate;
use crate::performance::{Report, Spec, Task};

fn batch(n: usize, seed: u64) -> RecordBatch {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut y, mut p, mut s, mut seg, mut yr, mut pr) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let label = i64::from(next() < 0.4);
        let score = (0.3 + 0.4 * label as f64 + 0.5 * (next() - 0.5)).clamp(0.0, 1.0);
        y.push((i % 17 != 0).then_some(label));
        p.push(i64::from(score > 0.5));
        s.push((i % 13 != 0).then_some(score));
        seg.push(["a", "b", "c"][(next() * 3.0) as usize]);
        yr.push(1e6 + next());
        pr.push(1e6 + next());
    }
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("y", Arc::new(Int64Array::from(y))),
        ("p", Arc::new(Int64Array::from(p))),
        ("s", Arc::new(Float64Array::from(s))),
        ("seg", Arc::new(StringArray::from(seg))),
        ("yr", Arc::new(Float64Array::from(yr))),
        ("pr", Arc::new(Float64Array::from(pr))),
    ];
    let schema = Schema::new(
        cols.iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    );
    let arrays = cols.into_iter().map(|(_, a)| a).collect();
    RecordBatch::try_new(Arc::new(schema), arrays).unwrap()
}

fn spec(task: Task) -> Spec {
    let reg = task == Task::Regression;
    Spec {
        prediction: if reg { "pr" } else { "p" }.into(),
        label: if reg { "yr" } else { "y" }.into(),
        score: (!reg).then(|| "s".into()),
        class_scores: Vec::new(),
        positive: Positive::Int(1),
        task,
        segment_by: vec!["seg".into()],
    }
}

fn without_auc(r: &Report) -> Vec<(&'static str, crate::performance::confusion::Value)> {
    r.metrics
        .iter()
        .filter(|(n, _)| *n != "roc_auc")
        .cloned()
        .collect()
}

#[test]
fn split_merge_equals_one_pass_bit_for_bit() {
    let b = batch(5000, 1);
    for task in [Task::Binary, Task::Regression] {
        let sp = spec(task);
        let want = evaluate(std::slice::from_ref(&b), &sp).unwrap();
        for cuts in [
            vec![0, 5000],
            vec![0, 1, 2500, 4999, 5000],
            vec![0, 777, 5000],
        ] {
            let mut parts: Vec<PerformancePartial> = cuts
                .windows(2)
                .map(|w| PerformancePartial::compute(&[b.slice(w[0], w[1] - w[0])], &sp).unwrap())
                .collect();
            parts.reverse();
            let mut acc = parts[0].clone();
            for p in &parts[1..] {
                let decoded = PerformancePartial::from_bytes(&p.to_bytes().unwrap()).unwrap();
                acc = acc.merge(&decoded).unwrap();
            }
            let got = acc.report().unwrap();
            assert_eq!(without_auc(&got), without_auc(&want));
            let (gs, ws) = (got.segments.unwrap(), want.segments.clone().unwrap());
            for name in ["n", "accuracy", "log_loss", "mae", "r2"] {
                if let (Ok(g), Ok(w)) = (gs.schema().index_of(name), ws.schema().index_of(name)) {
                    assert_eq!(gs.column(g), ws.column(w), "{name}");
                }
            }
        }
    }
}

#[test]
fn corrupted_bodies_never_panic() {
    let b = batch(300, 2);
    let p = PerformancePartial::compute(&[b], &spec(Task::Binary)).unwrap();
    let bytes = p.to_bytes().unwrap();
    let body = &bytes[8..bytes.len() - 8];
    let mut state = 9u64;
    for _ in 0..400 {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
        let mut body = body.to_vec();
        let at = (state >> 33) as usize % body.len();
        body[at] ^= (state >> 20) as u8 | 1;
        if (state >> 7) % 3 == 0 {
            body.truncate(at.max(1));
        }
        let mut forged = bytes[..8].to_vec();
        forged.extend_from_slice(&body);
        forged.extend_from_slice(&crate::hash::hash_bytes(&body).to_le_bytes());
        if let Ok(q) = PerformancePartial::from_bytes(&forged) {
            let _ = q.report();
            let _ = q.merge(&p);
        }
    }
    let mut old = bytes.clone();
    old[6] = 9;
    let err = PerformancePartial::from_bytes(&old)
        .unwrap_err()
        .to_string();
    assert!(err.contains("format version 9"), "{err}");
}

#[test]
fn multiclass_classes_merge_by_value() {
    let cols = |y: Vec<&str>, p: Vec<&str>| {
        let schema = Schema::new(vec![
            Field::new("y", DataType::Utf8, true),
            Field::new("p", DataType::Utf8, true),
        ]);
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(y)),
            Arc::new(StringArray::from(p)),
        ];
        RecordBatch::try_new(Arc::new(schema), arrays).unwrap()
    };
    let sp = Spec {
        prediction: "p".into(),
        label: "y".into(),
        score: None,
        class_scores: Vec::new(),
        positive: Positive::Int(1),
        task: Task::Multiclass,
        segment_by: Vec::new(),
    };
    let a = cols(vec!["x", "y", "x"], vec!["x", "x", "x"]);
    let b = cols(vec!["z", "z"], vec!["z", "y"]);
    let pa = PerformancePartial::compute(std::slice::from_ref(&a), &sp).unwrap();
    let pb = PerformancePartial::compute(std::slice::from_ref(&b), &sp).unwrap();
    let got = pb.merge(&pa).unwrap().report().unwrap();
    let want = evaluate(&[a, b], &sp).unwrap();
    assert_eq!(got.metrics, want.metrics);
    assert_eq!(got.classes, want.classes);
}
