//! Regression error sums: the mergeable accumulator behind MAE, RMSE, MAPE, sMAPE, R2 and
//! the mean error, per group or segment.
//!
//! # Definition
//! With the residual `e = y - yhat` over the complete rows (label and prediction present):
//! MAE = mean |e|, RMSE = sqrt(mean e^2) (scikit-learn `root_mean_squared_error`),
//! MAPE = mean |e| / max(|y|, eps) with eps the f64 machine epsilon (scikit-learn's
//! `mean_absolute_percentage_error`, a fraction, not a percentage), sMAPE = mean
//! 2|e| / (|y| + |yhat|) with 0 where both are 0 (a fraction in [0, 2]), R2 = 1 - SSE / SST
//! with scikit-learn's `force_finite` convention (1 when both are 0, 0 when only SST is),
//! mean error = mean e (positive: the model under-predicts).
//!
//! # Assumptions
//! SST comes from the label's mean and centred second moment, merged with Chan's formula,
//! so it does not cancel when the mean is large against the spread.
//!
//! # Complexity
//! O(1) per row; merge O(1) per group.

use serde::{Deserialize, Serialize};

use crate::performance::confusion::{ratio, Value};

/// Error sums of one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegressionSums {
    /// Complete rows.
    pub n: u64,
    /// Rows left out because the label or the prediction is null.
    pub n_null: u64,
    /// Sum of residuals `y - yhat`.
    pub sum_err: f64,
    /// Sum of absolute residuals.
    pub sum_abs: f64,
    /// Sum of squared residuals.
    pub sum_sq: f64,
    /// Sum of absolute percentage errors.
    pub sum_ape: f64,
    /// Sum of symmetric absolute percentage errors.
    pub sum_sape: f64,
    /// Mean of the label.
    pub y_mean: f64,
    /// Centred second moment of the label.
    pub y_m2: f64,
}

impl RegressionSums {
    /// Merges `o` into `self` (Chan et al. for the label's moments).
    pub fn merge(&mut self, o: &RegressionSums) {
        if o.n > 0 {
            let n = (self.n + o.n) as f64;
            let d = o.y_mean - self.y_mean;
            let (na, nb) = (self.n as f64, o.n as f64);
            self.y_mean += d * nb / n;
            self.y_m2 += o.y_m2 + d * d * na * nb / n;
        }
        self.n += o.n;
        self.n_null += o.n_null;
        self.sum_err += o.sum_err;
        self.sum_abs += o.sum_abs;
        self.sum_sq += o.sum_sq;
        self.sum_ape += o.sum_ape;
        self.sum_sape += o.sum_sape;
    }

    /// Mean absolute error.
    pub fn mae(&self) -> Value {
        ratio(self.sum_abs, self.n as f64, "no rows")
    }
    /// Root mean squared error.
    pub fn rmse(&self) -> Value {
        ratio(self.sum_sq, self.n as f64, "no rows").map(f64::sqrt)
    }
    /// Mean absolute percentage error (a fraction).
    pub fn mape(&self) -> Value {
        ratio(self.sum_ape, self.n as f64, "no rows")
    }
    /// Symmetric mean absolute percentage error (a fraction in [0, 2]).
    pub fn smape(&self) -> Value {
        ratio(self.sum_sape, self.n as f64, "no rows")
    }
    /// Mean residual `y - yhat`.
    pub fn mean_error(&self) -> Value {
        ratio(self.sum_err, self.n as f64, "no rows")
    }
    /// Coefficient of determination.
    pub fn r2(&self) -> Value {
        if self.n == 0 {
            return Err("no rows");
        }
        if self.y_m2 == 0.0 {
            return Ok(if self.sum_sq == 0.0 { 1.0 } else { 0.0 });
        }
        Ok(1.0 - self.sum_sq / self.y_m2)
    }
}

/// Per-group partial with the label shifted by a value of the group, so the moments are
/// accumulated without cancellation and without a division per row.
#[derive(Clone, Copy, Default)]
struct Shifted {
    shift: f64,
    s1: f64,
    s2: f64,
}

/// Accumulates regression sums by group over one chunk (`y`, `yhat` as `Float64`).
pub fn sum_regression(
    codes: &[u32],
    y: &arrow_array::Float64Array,
    yhat: &arrow_array::Float64Array,
    n_groups: usize,
) -> Vec<RegressionSums> {
    use arrow_array::Array;
    let mut out = vec![RegressionSums::default(); n_groups];
    let mut sh = vec![Shifted::default(); n_groups];
    let (yv, pv) = (y.values(), yhat.values());
    let has_nulls = y.null_count() > 0 || yhat.null_count() > 0;
    for i in 0..codes.len() {
        let g = codes[i] as usize;
        if has_nulls && (y.is_null(i) || yhat.is_null(i)) {
            out[g].n_null += 1;
            continue;
        }
        let (t, p) = (yv[i], pv[i]);
        let o = &mut out[g];
        let s = &mut sh[g];
        if o.n == 0 {
            s.shift = t;
        }
        o.n += 1;
        let e = t - p;
        let a = e.abs();
        o.sum_err += e;
        o.sum_abs += a;
        o.sum_sq += e * e;
        o.sum_ape += a / t.abs().max(f64::EPSILON);
        let den = t.abs() + p.abs();
        if den > 0.0 {
            o.sum_sape += 2.0 * a / den;
        }
        let d = t - s.shift;
        s.s1 += d;
        s.s2 += d * d;
    }
    for (o, s) in out.iter_mut().zip(&sh) {
        if o.n > 0 {
            let n = o.n as f64;
            o.y_mean = s.shift + s.s1 / n;
            o.y_m2 = (s.s2 - s.s1 * s.s1 / n).max(0.0);
        }
    }
    out
}
