/* noiselab closed-form theory of SGD noise (C core; no Lua).
 *
 * Minibatch noise in linear regression (Ziyin, Liu, Mori, Ueda, "Strength of Minibatch Noise in
 * SGD", ICLR 2022, arXiv 2102.05375): L(w) = (1/2N) Σ (wᵀx_i − y_i)², x ~ N(0, A),
 * y = uᵀx + ε, Var ε = σ², batches of S drawn with replacement, learning rate λ, momentum μ
 * (m ← μm + ĝ, w ← w − λm).  Matrices are row-major double arrays (d×d).
 *
 * Small-noise exit times (Imkeller & Pavlyukevich 2006; Wang, Oh, Rhee ICLR 2022).
 *
 * All functions validate their arguments and return NL_ERR_ARG for out-of-domain input,
 * NL_ERR_NOCONV when an iterative solve fails, NL_OK otherwise.  Work space is the caller's. */
#ifndef NOISELAB_THEORY_H
#define NOISELAB_THEORY_H
#include <stddef.h>
#include <stdint.h>
#include "noiselab/tensor.h"

/* C = (AΣA + Tr[AΣ]A + σ²A)/S (Gaussian x, label noise; Σ = Cov(w − u)).  A, Sigma, C: d×d. */
nl_status nl_theory_noise_cov_label(int d, const double *A, const double *Sigma, double sigma2,
                                    double S, double *C);
/* Empirical minibatch-noise covariance at w of a finite data set (N×d rows X, labels y):
 * C(w) = (1/(SN)) Σ_i ∇ℓ_i ∇ℓ_iᵀ − (1/S) ∇L ∇Lᵀ with ∇ℓ_i = x_i (x_iᵀw − y_i). */
nl_status nl_theory_noise_cov_data(int d, long N, const double *X, const double *y,
                                   const double *w, double S, double *C);

/* Closed form (Ziyin et al. Thm 2 with momentum, label noise, scalar learning rate λ):
 * G = 2(1−μ)I − ((1−μ)/(1+μ) + 1/S) λA, T = λTr[AG⁻¹],
 * Σ = (λσ²/S) G⁻¹ / (1 − T/S).  Writes Sigma (d×d); *stable = 0 (and Sigma untouched) when
 * G is not positive definite or T/S ≥ 1.  work: ≥ 3d² + d doubles. */
nl_status nl_theory_stationary(int d, const double *A, double sigma2, double S, double lr,
                               double mu, double *Sigma, int *stable, double *work);

/* The exact stationary covariance of the discrete dynamics, by solving the linear equation for
 * the second moment of the joint state z = (w − w*, m):  P = E[M̂ P M̂ᵀ] + E[b̂ b̂ᵀ]  (Kronecker
 * form, GSL LU).  Needs only the first two moments of the random matrix Â = batch mean of
 * x xᵀ, which it takes from the data model:
 *   gaussian (X == NULL): x ~ N(0, A), y = uᵀx + ε; E[x xᵀ M x xᵀ] = AMA + AMᵀA + Tr[AM]A;
 *   data (X != NULL): the N rows of X and labels y, indices drawn uniformly with replacement.
 * gamma is an L2 weight decay (loss + ½γ‖w‖²); w* is then the ridge solution.  For Gaussian
 * data with gamma ≠ 0 the target u is needed (u may be NULL when gamma == 0).
 * Outputs Sigma = Cov(w) (d×d) and wstar (d).  *stable = 0 when the second-moment map has
 * spectral radius ≥ 1 (detected as a non-positive-definite solution).
 * work: nl_theory_exact_work(d) doubles. */
size_t nl_theory_exact_work(int d);
nl_status nl_theory_stationary_exact(int d, const double *A, const double *u, double sigma2,
                                     long N, const double *X, const double *y, double S,
                                     double lr, double mu, double gamma, double *Sigma,
                                     double *wstar, int *stable, double *work);

/* Monte Carlo of minibatch SGD on linear regression, the independent check of the formulas
 * above: `chains` chains (chain c uses nl_rng stream c of seed), each run `burn` steps from w*
 * and then `steps` steps, w ← w − λm, m ← μm + ĝ, ĝ = (1/S)Σ_s x_s(x_sᵀw − y_s) + γw.
 * Gaussian (X == NULL): x = chol(A) z, y = uᵀx + σ ξ (u NULL: 0).  Data: S rows drawn uniformly
 * with replacement.  Outputs the time-and-chain average of (w − w*)(w − w*)ᵀ (cov, d×d; w* the
 * ridge solution), its standard error from the spread of the per-chain averages (se, d×d)
 * and the mean of w − w* (mean, d).  Diverging runs give non-finite numbers. */
nl_status nl_theory_simulate_sgd(int d, const double *A, const double *u, double sigma2, long N,
                                 const double *X, const double *y, int S, double lr, double mu,
                                 double gamma, long chains, long burn, long steps, uint64_t seed,
                                 double *cov, double *se, double *mean);

/* Largest λ with G ≻ 0 and (λ/S)Tr[AG⁻¹] < 1 (closed form above), by Brent's method on the
 * eigenvalues of A.  work: ≥ d² + d doubles. */
nl_status nl_theory_stability_limit(int d, const double *A, double S, double mu, double *lmax,
                                    double *work);

/* 1-d, L2 regulariser γ, target u, optional label noise σ² (σ² = 0 is the paper's Thm 4 case):
 * K = a + γ, Σ = λ(2a²γ²u²/K² + aσ²)/S / (2K − λK² − 2λa²/S),
 * L_test = ½a(Σ + γ²u²/K²).  Returns NL_ERR_ARG on bad input; *Sigma = +inf when unstable. */
nl_status nl_theory_l2_test_loss(double a, double u, double gamma, double lr, double S,
                                 double sigma2, double *Sigma, double *loss);
/* γ minimising that test loss over the stable range (may be negative when λa > 1). */
nl_status nl_theory_optimal_weight_decay(double a, double u, double lr, double S, double sigma2,
                                         double *gamma, double *loss);

/* Stationary tail index of 1-d online SGD w ← (1 − (aλ/S)χ²_S)w + noise: the root β > 0 of
 * E|1 − (aλ/S)χ²_S|^β = 1 (Kesten 1973; Goldie 1991), χ²_S density integrated with GSL QAGS /
 * QAGIU, the root by Brent.  approx = 2S/(aλ) − S (Ziyin et al.).  NL_ERR_NOCONV when there
 * is no root (E log|1 − cχ²| ≥ 0: no stationary law). */
nl_status nl_theory_tail_index(double a, double lr, double S, double *beta, double *approx);
/* log E|1 − c χ²_S|^β (exported for tests). */
nl_status nl_theory_log_kesten_moment(double c, double S, double beta, double *value);

/* c_α = Γ(1+α) sin(πα/2)/π: the Lévy density of the standard SαS law is c_α |y|^{−1−α}. */
double nl_theory_c_alpha(double alpha);
/* Small-noise mean exit time of dX = −f'(X)dt + ε dL^α from (−r_minus, r_plus) around a
 * minimum at 0 (Imkeller–Pavlyukevich): E τ ≈ α / (c_α ε^α (r₋^{−α} + r₊^{−α})). */
double nl_theory_exit_time_stable(double alpha, double eps, double r_minus, double r_plus);
/* Wang et al.: l* = ⌈r/b⌉ capped jumps; exit time of order η^{−(1 + l*(α − 1))}. */
void nl_theory_truncated_exit_order(double alpha, double r, double b, int *lstar,
                                    double *exponent);

#endif
