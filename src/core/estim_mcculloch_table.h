/* Tables of McCulloch's (1986) quantile estimator, computed with noiselab's own stable
 * quantile function by tests/reference/estim_mcculloch_tables.c (see there). */
#ifndef NOISELAB_ESTIM_MCCULLOCH_TABLE_H
#define NOISELAB_ESTIM_MCCULLOCH_TABLE_H
#define NL_MC_NA 31   /* α = 0.50, 0.55, …, 2.00 */
#define NL_MC_NB 11   /* β = 0, 0.1, …, 1 */
extern const double nl_mc_nu_alpha[NL_MC_NB][NL_MC_NA];
extern const double nl_mc_nu_beta[NL_MC_NB][NL_MC_NA];
extern const double nl_mc_phi3[NL_MC_NB][NL_MC_NA];
extern const double nl_mc_med[NL_MC_NB][NL_MC_NA];
#endif
