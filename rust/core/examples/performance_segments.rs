//! Times `performance::evaluate` on 10M rows with and without 10,000 segments (binary with
//! a score, and regression), and `performance::roc_auc` of scores spread over the reals
//! (`auc`), median of 5 runs:
//! `cargo run --release -p driftline-core --example performance_segments [rows] [segments]
//! [only]` (`only`: a case's label, e.g. `binary-seg`).
use std::sync::Arc;
use std::time::Instant;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use driftline_core::performance::columns::Positive;
use driftline_core::performance::{evaluate, roc_auc, Spec, Task};

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }
    fn unit(&mut self) -> f64 {
        (self.next() as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        (-2.0 * self.unit().ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }
}

fn median(label: &str, mut f: impl FnMut()) {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let a = Instant::now();
            f();
            a.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    println!("{label:>10}: {:.4} s (best {:.4})", t[2], t[0]);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = args.first().map_or(10_000_000, |a| a.parse().unwrap());
    let segs = args.get(1).map_or(10_000, |a| a.parse().unwrap());
    let only = args.get(2).cloned();
    let mut r = Lcg(1);
    let y: Vec<i64> = (0..n).map(|_| (r.next() & 1) as i64).collect();
    let s: Vec<f64> = y
        .iter()
        .map(|&y| (0.4 + 0.2 * y as f64 + 0.2 * r.normal()).clamp(0.0, 1.0))
        .collect();
    let p: Vec<i64> = s.iter().map(|&s| i64::from(s > 0.5)).collect();
    let seg: Vec<i64> = (0..n).map(|_| (r.next() % segs) as i64).collect();
    let yr: Vec<f64> = (0..n)
        .map(|_| -10.0 * (r.unit().ln() + r.unit().ln()))
        .collect();
    let pr: Vec<f64> = yr.iter().map(|&y| y + 3.0 * r.normal()).collect();
    // As the benchmark's roc_auc case: normal scores, mean the label, sd 1.5.
    let s_real: Vec<f64> = y.iter().map(|&y| y as f64 + 1.5 * r.normal()).collect();
    let col = |v: &[i64]| Arc::new(Int64Array::from(v.to_vec())) as ArrayRef;
    let fcol = |v: &[f64]| Arc::new(Float64Array::from(v.to_vec())) as ArrayRef;
    let batch = RecordBatch::try_from_iter([
        ("seg", col(&seg)),
        ("y", col(&y)),
        ("s", fcol(&s)),
        ("p", col(&p)),
        ("y_reg", fcol(&yr)),
        ("p_reg", fcol(&pr)),
        ("s_real", fcol(&s_real)),
    ])
    .unwrap();
    let batches = [batch];
    let spec = |task: Task, segmented: bool| {
        let (prediction, label, score) = match task {
            Task::Regression => ("p_reg", "y_reg", None),
            _ => ("p", "y", Some("s".to_string())),
        };
        Spec {
            prediction: prediction.into(),
            label: label.into(),
            score,
            class_scores: Vec::new(),
            positive: Positive::Int(1),
            task,
            segment_by: if segmented {
                vec!["seg".into()]
            } else {
                Vec::new()
            },
        }
    };
    if only.as_deref().is_none_or(|o| o == "auc") {
        median("auc", || {
            std::hint::black_box(roc_auc(&batches, "y", "s_real", &Positive::Int(1)).unwrap())
                .unwrap();
        });
    }
    for (label, task, segmented) in [
        ("binary", Task::Binary, false),
        ("binary-seg", Task::Binary, true),
        ("regr", Task::Regression, false),
        ("regr-seg", Task::Regression, true),
    ] {
        if only.as_deref().is_some_and(|o| o != label) {
            continue;
        }
        let sp = spec(task, segmented);
        median(label, || {
            std::hint::black_box(evaluate(&batches, &sp).unwrap());
        });
    }
}
