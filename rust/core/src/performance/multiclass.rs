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
//! average=...)`). Exact in one pass; from score histograms in a partial. With
//! `segment_by`, each segment gets the same log loss and AUCs over its own scored rows.
//!
//! # Complexity
//! O(rows x classes) for the scores, plus the exact AUC's O(n log n) per class; with
//! segments, the scored rows are kept (a segment code, a class and the scores: 8 + 8k
//! bytes a row), grouped by segment once and each segment's AUCs sorted on its own,
//! in parallel over segments.

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef};
use rayon::prelude::*;
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
    /// Per segment, the score sums (with `class_scores` and `segment_by`; else empty).
    pub seg_scores: Vec<ClassScores>,
}

/// Exact one-vs-rest AUCs per score class (one pass).
#[derive(Debug, Clone, Default)]
pub struct ExactOvr {
    /// Over all scored rows.
    pub overall: Vec<Value>,
    /// Per segment (empty without `segment_by`).
    pub segments: Vec<Vec<Value>>,
}

#[derive(Default)]
struct ChunkScores {
    scores: ClassScores,
    keys: Vec<u64>,
    pos: Vec<Vec<f64>>,
    neg: Vec<Vec<f64>>,
    /// With segments, each scored row: its segment, its true score class and its scores.
    rows: ScoredRows,
}

/// Scored rows kept for the per-segment sums (row-major scores, `ks` a row).
#[derive(Default)]
struct ScoredRows {
    seg: Vec<u32>,
    class: Vec<u32>,
    scores: Vec<f64>,
}

impl ScoredRows {
    fn extend(&mut self, o: &ScoredRows) {
        self.seg.extend_from_slice(&o.seg);
        self.class.extend_from_slice(&o.class);
        self.scores.extend_from_slice(&o.scores);
    }
}

/// Accumulates the multiclass task; columns are `[prediction, label, segments...,
/// scores...]`.
///
/// # Errors
/// Unsupported types; a float label or prediction that is not a whole number; a label
/// without a score column; NaN or out-of-range scores.
pub fn accumulate(
    chunks: &Chunks,
    spec: &Spec,
    coded: &Coded,
    first_score: usize,
    partial: bool,
) -> Result<(MulticlassAcc, Option<ExactOvr>)> {
    let g = coded.keys.len();
    let classes = crate::performance::class_columns::class_columns(chunks)?;
    let pred = code_columns(&classes, &[0])?;
    let label = code_columns(&classes, &[1])?;
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
        seg_scores: Vec::new(),
    };
    let segmented = !spec.segment_by.is_empty();
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
            let (pc, lc, sc) = (&pred.codes[c], &label.codes[c], &coded.codes[c]);
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
                if segmented {
                    out.rows.seg.push(sc[i]);
                    out.rows.class.push(jt);
                    out.rows.scores.extend(s.iter().map(|a| a.values()[i]));
                }
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
            a.rows.extend(&b.rows);
            Ok(())
        },
    )?;
    let (seg_scores, seg_aucs) = if segmented {
        per_segment(g, ks, &folded.rows, partial)
    } else {
        (Vec::new(), Vec::new())
    };
    acc.seg_scores = seg_scores;
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
    let overall = folded
        .pos
        .iter()
        .zip(&folded.neg)
        .map(|(p, n)| auc_sort::exact_auc(p, n))
        .collect::<Result<_>>()?;
    Ok((
        acc,
        Some(ExactOvr {
            overall,
            segments: seg_aucs,
        }),
    ))
}

/// Each segment's score sums from the scored rows, and in one pass (`!partial`) its
/// exact one-vs-rest AUCs; in a partial, its per-class histograms instead.
fn per_segment(
    g: usize,
    ks: usize,
    rows: &ScoredRows,
    partial: bool,
) -> (Vec<ClassScores>, Vec<Vec<Value>>) {
    // The rows grouped by segment: a counting sort of their indices.
    let mut start = vec![0usize; g + 1];
    for &s in &rows.seg {
        start[s as usize + 1] += 1;
    }
    for i in 0..g {
        start[i + 1] += start[i];
    }
    let mut next = start.clone();
    let mut order = vec![0u32; rows.seg.len()];
    for (r, &s) in rows.seg.iter().enumerate() {
        order[next[s as usize]] = r as u32;
        next[s as usize] += 1;
    }
    let score = |r: u32, j: usize| rows.scores[r as usize * ks + j];
    let class = |r: u32| rows.class[r as usize] as usize;
    (0..g)
        .into_par_iter()
        .with_min_len(64)
        .map(|s| {
            let mine = &order[start[s]..start[s + 1]];
            let mut out = ClassScores {
                n: mine.len() as u64,
                positives: vec![0; ks],
                ..ClassScores::default()
            };
            let (mut true_p, mut held) = ([0f64; BATCH], 0usize);
            for &r in mine {
                out.positives[class(r)] += 1;
                true_p[held] = score(r, class(r));
                held += 1;
                if held == BATCH {
                    add_log_loss(&mut out.log_loss_sum, &mut true_p, held);
                    held = 0;
                }
            }
            add_log_loss(&mut out.log_loss_sum, &mut true_p, held);
            if partial {
                out.hist = (0..ks)
                    .map(|j| {
                        let mut keys: Vec<u32> = mine
                            .iter()
                            .map(|&r| (bin_of(score(r, j)) as u32) << 1 | u32::from(class(r) == j))
                            .collect();
                        keys.sort_unstable();
                        SparseHist::from_sorted_keys(&keys)
                    })
                    .collect();
                return (out, Vec::new());
            }
            let aucs = (0..ks)
                .map(|j| {
                    let (mut pos, mut neg) = (Vec::new(), Vec::new());
                    for &r in mine {
                        if class(r) == j {
                            pos.push(score(r, j));
                        } else {
                            neg.push(score(r, j));
                        }
                    }
                    auc::exact_auc_sorted(&pos, &neg)
                })
                .collect();
            (out, aucs)
        })
        .unzip()
}

/// Macro and prevalence-weighted means of one-vs-rest AUCs (`positives`: scored rows of
/// each score class, `n` scored rows), as scikit-learn's `average="macro"` / `"weighted"`.
fn ovr_averages(aucs: &[Value], positives: &[u64], n: u64) -> (Value, Value) {
    let all: std::result::Result<Vec<f64>, &'static str> = aucs.iter().copied().collect();
    let macro_ = all.clone().and_then(|v| {
        if v.is_empty() {
            Err("no score classes")
        } else {
            Ok(v.iter().sum::<f64>() / v.len() as f64)
        }
    });
    let weighted = all.and_then(|v| {
        if n == 0 {
            return Err("no scored rows");
        }
        let w: f64 = v.iter().zip(positives).map(|(a, &p)| a * p as f64).sum();
        Ok(w / n as f64)
    });
    (macro_, weighted)
}

/// The report of an accumulated multiclass task (`exact`: the one-pass AUCs).
///
/// # Errors
/// Arrow errors building the segment table (a bug).
pub fn report(
    spec: &Spec,
    types: &[crate::fairness::key_types::KeyType],
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
        let (aucs, bound, mode): (Vec<Value>, Value, _) = match &exact {
            Some(e) => (e.overall.clone(), Ok(0.0), "exact"),
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
        let (macro_, weighted) = ovr_averages(&aucs, &sc.positives, sc.n);
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
            types,
            keys,
            &acc.counts,
            seg_score_metrics(acc, exact.as_ref()),
        )?)
    };
    Ok(Report {
        metrics: m,
        classes: acc.classes.clone(),
        segments,
        auc_mode,
    })
}

/// Per segment: log loss and the macro and weighted one-vs-rest AUCs (exact from the one
/// pass, else from each segment's histograms); None without scores. With scores and no
/// segment (no rows), an empty list: the table still has the score columns.
fn seg_score_metrics(acc: &MulticlassAcc, exact: Option<&ExactOvr>) -> Option<Vec<[Value; 3]>> {
    acc.scores.as_ref()?;
    let rows = acc
        .seg_scores
        .par_iter()
        .enumerate()
        .with_min_len(256)
        .map(|(s, sc)| {
            let aucs: Vec<Value> = match exact {
                Some(e) => e.segments[s].clone(),
                None => sc.hist.iter().map(SparseHist::auc).collect(),
            };
            let (macro_, weighted) = ovr_averages(&aucs, &sc.positives, sc.n);
            let log_loss = confusion::ratio(sc.log_loss_sum.value(), sc.n as f64, "no scored rows");
            [log_loss, macro_, weighted]
        })
        .collect();
    Some(rows)
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
