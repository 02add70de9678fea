//! The multiclass task: per-class counts per segment, and with one score column per class
//! the one-vs-rest ROC AUC (macro and prevalence-weighted) and the log loss.
//!
//! # Definition
//! Classes are the values met in the label or the prediction, sorted. With scores
//! (`class_scores`: a column per class, the probability of that class), over the complete
//! rows whose every score is present: log loss = mean of `-ln(clip(p_true, eps, 1 - eps))`
//! (scikit-learn's `log_loss`, which clips and does not renormalise); one-vs-rest AUC of
//! class c = AUC of (label == c) by the score of c; macro = their mean, weighted = their
//! mean weighted by the prevalence of c (scikit-learn's `roc_auc_score(multi_class="ovr",
//! average=...)`). Exact in one pass; from score histograms in a partial.
//!
//! # Complexity
//! O(rows x classes) for the scores, plus the exact AUC's O(n log n) per class.

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef};
use serde::{Deserialize, Serialize};

use crate::error::{DriftlineError, Result};
use crate::fairness::groups::{code_columns, union_keys, Coded, KeyValue};
use crate::performance::auc::{self, bin_of, SparseHist};
use crate::performance::auc_sort;
use crate::performance::columns::{self, ordered_fold, Chunks};
use crate::performance::confusion::{self, ClassCounts, Value};
use crate::performance::exact::ExactSum;
use crate::performance::exact_batch::BATCH;
use crate::performance::ln::log_loss_terms;
use crate::performance::{segments, Report, Spec};

/// Score sums of the multiclass task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    /// Scored rows.
    pub n: u64,
    /// Per score class, scored rows labelled as that class.
    pub positives: Vec<u64>,
    /// Sum of the log-loss terms.
    pub log_loss_sum: ExactSum,
    /// Per score class, the one-vs-rest histogram (partial mode; empty in exact mode).
    pub hist: Vec<SparseHist>,
}

impl ClassScores {
    /// Adds `o` (same score classes).
    pub fn merge(&mut self, o: &ClassScores) {
        self.n += o.n;
        self.log_loss_sum.merge(&o.log_loss_sum);
        if self.positives.is_empty() {
            self.positives.clone_from(&o.positives);
        } else {
            for (a, b) in self.positives.iter_mut().zip(&o.positives) {
                *a += b;
            }
        }
        if self.hist.is_empty() {
            self.hist.clone_from(&o.hist);
            return;
        }
        for (a, b) in self.hist.iter_mut().zip(&o.hist) {
            a.merge(b);
        }
    }
}

/// The mergeable accumulator of the multiclass task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MulticlassAcc {
    /// Classes met, sorted.
    pub classes: Vec<KeyValue>,
    /// Per segment, counts indexed like `classes`.
    pub counts: Vec<ClassCounts>,
    /// Score sums, with `class_scores`.
    pub scores: Option<ClassScores>,
}

/// Exact one-vs-rest AUC per score class (one pass).
pub type ExactOvr = Vec<Value>;

#[derive(Default)]
struct ChunkScores {
    scores: ClassScores,
    keys: Vec<u64>,
    pos: Vec<Vec<f64>>,
    neg: Vec<Vec<f64>>,
}

/// Accumulates the multiclass task; columns are `[prediction, label, segments...,
/// scores...]`.
///
/// # Errors
/// Unsupported types; a label without a score column; NaN or out-of-range scores.
pub fn accumulate(
    chunks: &Chunks,
    spec: &Spec,
    coded: &Coded,
    first_score: usize,
    partial: bool,
) -> Result<(MulticlassAcc, Option<ExactOvr>)> {
    let g = coded.keys.len();
    let pred = code_columns(chunks, &[0])?;
    let label = code_columns(chunks, &[1])?;
    let (all, mp, ml) = union_keys(&pred.keys, &label.keys);
    // Class ids skip the null key (sorted first when present).
    let null = usize::from(all.first().is_some_and(|k| k[0] == KeyValue::Null));
    let classes: Vec<KeyValue> = all[null..].iter().map(|k| k[0].clone()).collect();
    let k = classes.len();
    let to_class = |m: &[usize]| -> Vec<u32> {
        m.iter()
            .map(|&i| {
                if i < null {
                    u32::MAX
                } else {
                    (i - null) as u32
                }
            })
            .collect()
    };
    let (mp, ml) = (to_class(&mp), to_class(&ml));
    let per_seg = ordered_fold(
        chunks.chunks.len(),
        vec![ClassCounts::new(k); g],
        |c| {
            let mut out = vec![ClassCounts::new(k); g];
            let (pc, lc, sc) = (&pred.codes[c], &label.codes[c], &coded.codes[c]);
            for i in 0..pc.len() {
                let (p, t) = (mp[pc[i] as usize], ml[lc[i] as usize]);
                let o = &mut out[sc[i] as usize];
                if p == u32::MAX || t == u32::MAX {
                    o.n_null += 1;
                    continue;
                }
                o.predicted[p as usize] += 1;
                o.truth[t as usize] += 1;
                o.tp[p as usize] += u64::from(p == t);
            }
            Ok(out)
        },
        |acc, p| {
            for (a, b) in acc.iter_mut().zip(&p) {
                a.merge(b);
            }
            Ok(())
        },
    )?;
    let mut acc = MulticlassAcc {
        classes,
        counts: per_seg,
        scores: None,
    };
    if spec.class_scores.is_empty() {
        return Ok((acc, None));
    }
    // Score column of each class id (u32::MAX: none).
    let ks = spec.class_scores.len();
    let score_of: Vec<u32> = acc
        .classes
        .iter()
        .map(|c| {
            spec.class_scores
                .iter()
                .position(|(k, _)| k == c)
                .map_or(u32::MAX, |j| j as u32)
        })
        .collect();
    let init = ChunkScores {
        pos: vec![Vec::new(); ks],
        neg: vec![Vec::new(); ks],
        ..ChunkScores::default()
    };
    let folded = ordered_fold(
        chunks.chunks.len(),
        init,
        |c| {
            let ch = &chunks.chunks[c];
            let arrays: Vec<ArrayRef> = spec
                .class_scores
                .iter()
                .enumerate()
                .map(|(j, (_, name))| columns::scores(&ch[first_score + j], name))
                .collect::<Result<_>>()?;
            let s: Vec<&arrow_array::Float64Array> = arrays
                .iter()
                .map(|a| a.as_primitive::<Float64Type>())
                .collect();
            let (pc, lc) = (&pred.codes[c], &label.codes[c]);
            let mut out = ChunkScores {
                pos: vec![Vec::new(); ks],
                neg: vec![Vec::new(); ks],
                ..ChunkScores::default()
            };
            out.scores.positives = vec![0; ks];
            let (mut true_p, mut held) = ([0f64; BATCH], 0usize);
            for i in 0..pc.len() {
                let (p, t) = (mp[pc[i] as usize], ml[lc[i] as usize]);
                if p == u32::MAX || t == u32::MAX || s.iter().any(|a| a.is_null(i)) {
                    continue;
                }
                let jt = score_of[t as usize];
                if jt == u32::MAX {
                    return Err(DriftlineError::data(
                        &spec.label,
                        format!(
                            "label value {} has no score column; score= must name a column for every class",
                            acc.classes[t as usize]
                        ),
                    ));
                }
                out.scores.n += 1;
                out.scores.positives[jt as usize] += 1;
                // The true class's probability; its log-loss terms are computed and added a
                // batch at a time (vectorised; the same exact sum as one by one).
                true_p[held] = s[jt as usize].values()[i];
                held += 1;
                if held == BATCH {
                    add_log_loss(&mut out.scores.log_loss_sum, &mut true_p, held);
                    held = 0;
                }
                for (j, a) in s.iter().enumerate() {
                    let (v, y) = (a.values()[i], j as u32 == jt);
                    if partial {
                        out.keys
                            .push((j as u64) << 32 | (bin_of(v) as u64) << 1 | u64::from(y));
                    } else if y {
                        out.pos[j].push(v);
                    } else {
                        out.neg[j].push(v);
                    }
                }
            }
            add_log_loss(&mut out.scores.log_loss_sum, &mut true_p, held);
            if partial {
                out.scores.hist = auc::sparse_by_group(std::mem::take(&mut out.keys), ks);
            }
            Ok(out)
        },
        |a, b| {
            a.scores.merge(&b.scores);
            for j in 0..ks {
                a.pos[j].extend_from_slice(&b.pos[j]);
                a.neg[j].extend_from_slice(&b.neg[j]);
            }
            Ok(())
        },
    )?;
    let mut scores = folded.scores;
    if scores.positives.is_empty() {
        scores.positives = vec![0; ks];
    }
    if partial && scores.hist.is_empty() {
        scores.hist = vec![SparseHist::default(); ks];
    }
    acc.scores = Some(scores);
    if partial {
        return Ok((acc, None));
    }
    let exact = folded
        .pos
        .iter()
        .zip(&folded.neg)
        .map(|(p, n)| auc_sort::exact_auc(p, n))
        .collect::<Result<_>>()?;
    Ok((acc, Some(exact)))
}

/// The report of an accumulated multiclass task (`exact`: the one-pass AUCs).
///
/// # Errors
/// Arrow errors building the segment table (a bug).
pub fn report(
    spec: &Spec,
    keys: &[Vec<KeyValue>],
    acc: &MulticlassAcc,
    exact: Option<ExactOvr>,
) -> Result<Report> {
    let k = acc.classes.len();
    let mut total = ClassCounts::new(k);
    for s in &acc.counts {
        total.merge(s);
    }
    let avg = total.averages().ok_or("no rows");
    let pick = |f: fn(&confusion::Averages) -> f64| -> Value { avg.map(|a| f(&a)) };
    let mut m = vec![
        ("n", Ok(total.n() as f64)),
        ("n_null", Ok(total.n_null as f64)),
        ("accuracy", pick(|a| a.accuracy)),
        ("precision_macro", pick(|a| a.precision_macro)),
        ("recall_macro", pick(|a| a.recall_macro)),
        ("f1_macro", pick(|a| a.f1_macro)),
        ("precision_weighted", pick(|a| a.precision_weighted)),
        ("recall_weighted", pick(|a| a.recall_weighted)),
        ("f1_weighted", pick(|a| a.f1_weighted)),
    ];
    let mut auc_mode = None;
    if let Some(sc) = &acc.scores {
        let n = sc.n as f64;
        let (aucs, bound, mode): (Vec<Value>, Value, _) = match exact {
            Some(e) => (e, Ok(0.0), "exact"),
            None => {
                let bounds: Vec<Value> = sc.hist.iter().map(SparseHist::auc_error_bound).collect();
                let worst = bounds.iter().try_fold(0.0f64, |w, b| b.map(|b| w.max(b)));
                (
                    sc.hist.iter().map(SparseHist::auc).collect(),
                    worst,
                    "histogram",
                )
            }
        };
        auc_mode = Some(mode);
        // Prevalence of each score class among the scored rows.
        let prevalence: Vec<f64> = sc.positives.iter().map(|&p| p as f64).collect();
        let all: std::result::Result<Vec<f64>, &'static str> = aucs.iter().copied().collect();
        let macro_ = all.clone().and_then(|v| {
            if v.is_empty() {
                Err("no score classes")
            } else {
                Ok(v.iter().sum::<f64>() / v.len() as f64)
            }
        });
        let weighted = all.and_then(|v| {
            if n == 0.0 {
                return Err("no scored rows");
            }
            Ok(v.iter().zip(&prevalence).map(|(a, w)| a * w).sum::<f64>() / n)
        });
        m.extend([
            (
                "log_loss",
                confusion::ratio(sc.log_loss_sum.value(), n, "no scored rows"),
            ),
            ("roc_auc_ovr_macro", macro_),
            ("roc_auc_ovr_weighted", weighted),
            ("roc_auc_ovr_error_bound", bound),
        ]);
    }
    let segments = if spec.segment_by.is_empty() {
        None
    } else {
        Some(segments::multiclass_table(
            &spec.segment_by,
            keys,
            &acc.counts,
        )?)
    };
    Ok(Report {
        metrics: m,
        classes: acc.classes.clone(),
        segments,
        auc_mode,
    })
}

/// Re-indexes per-class counts from `from` classes onto `to` (a superset, sorted).
pub fn remap_counts(c: &ClassCounts, from: &[KeyValue], to: &[KeyValue]) -> ClassCounts {
    let mut out = ClassCounts::new(to.len());
    out.n_null = c.n_null;
    for (i, key) in from.iter().enumerate() {
        let j = to.binary_search(key).unwrap_or(0);
        out.tp[j] = c.tp[i];
        out.predicted[j] = c.predicted[i];
        out.truth[j] = c.truth[i];
    }
    out
}

/// Adds the log-loss terms of the first `k` true-class probabilities of `p` to `sum`.
fn add_log_loss(sum: &mut ExactSum, p: &mut [f64; BATCH], k: usize) {
    let mut terms = [0f64; BATCH];
    log_loss_terms(&p[..k], &[true; BATCH][..k], &mut terms[..k]);
    sum.add_batch(&mut terms[..k]);
}
