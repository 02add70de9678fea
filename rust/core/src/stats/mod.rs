//! Drift statistics: the kernels behind `dl.stats.*` and `dl.compare`.
//!
//! Three input forms, so that the same statistic serves raw data, sketches and profiles:
//! - raw samples (`Vec<f64>`, sorted here): [`ks::ks_2samp`], [`wasserstein::wasserstein`],
//!   [`psi::psi`];
//! - sorted samples or step CDFs (sorted points with cumulative weights, what a quantile
//!   sketch gives): [`ks::ks_statistic_sorted`], [`ks::ks_statistic_from_cdfs`],
//!   [`wasserstein::wasserstein_sorted`], [`wasserstein::wasserstein_from_cdfs`];
//! - binned counts over shared bins: [`psi::psi_counts`], [`ks::ks_statistic_binned`],
//!   [`chisquare::chisquare`], [`chisquare::chi2_contingency`], and the divergences of
//!   [`divergence`].
//!
//! P-value functions stand alone: [`ks::ks_pvalue`], [`kolmogorov::kstwo_sf`],
//! [`kolmogorov::smirnov_sf`], [`kolmogorov::ks_2samp_exact_two_sided`],
//! [`chisquare::chi2_sf`].
//!
//! Input policy (see [`sample`]): nulls dropped, NaN refused naming the argument, empty
//! inputs refused; each function says what it does with infinities.

pub mod chisquare;
pub mod divergence;
pub mod kolmogorov;
pub mod ks;
pub mod ks_exact;
pub mod psi;
pub mod sample;
pub mod sketch_pair;
pub mod wasserstein;

pub use chisquare::{chi2_contingency, chi2_sf, chisquare, ChiSquareResult, ContingencyResult};
pub use divergence::{hellinger, jensen_shannon, kl_divergence, total_variation};
pub use kolmogorov::{ks_2samp_exact_two_sided, kstwo_sf, smirnov_sf};
pub use ks::{
    ks_2samp, ks_pvalue, ks_statistic_binned, ks_statistic_from_cdfs, ks_statistic_sorted,
    KsMethod, KsResult, KsStatistic,
};
pub use psi::{bin_counts, psi, psi_counts, quantile_edges, PsiResult, PSI_EPSILON};
pub use sketch_pair::{sketch_pair, sketch_pairs, SketchPair};
pub use wasserstein::{wasserstein, wasserstein_from_cdfs, wasserstein_sorted};
