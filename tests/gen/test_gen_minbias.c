/* Minimum bias: multiplicities, <pT> and flat eta of the generated particles; Poisson(mu)
 * interactions per crossing. */
#include <math.h>
#include <stdlib.h>

#include "gen_check.h"
#include "l0_pileup.h"

int main(void) {
    l0_minbias_params p;
    l0_minbias_params_default(&p);
    l0_rng r;
    l0_rng_seed(&r, 3, 0);
    l0_particle buf[4096];
    const int N = 20000;
    double nch = 0, ng = 0, nh = 0, ptch = 0, ptg = 0, n2 = 0, eta_in = 0;
    for (int i = 0; i < N; i++) {
        size_t n = l0_minbias_interaction(&p, &r, -1e9, 1e9, buf, 4096);
        n2 += (double)n * n;
        for (size_t k = 0; k < n; k++) {
            double pt = buf[k].e / cosh(buf[k].eta);
            if (abs(buf[k].pdg) == 211) {
                nch++;
                ptch += pt;
            } else if (buf[k].pdg == 22) {
                ng++;
                ptg += pt;
            } else {
                nh++;
            }
            eta_in += fabs(buf[k].eta) < 0.8;
            CHECK(fabs(buf[k].eta) <= p.eta_max && fabs(buf[k].phi) <= 3.1416, "bad direction");
        }
    }
    double span = 2 * p.eta_max, ntot = nch + ng + nh;
    CHECK(fabs(nch / N / span / p.dndeta_ch - 1) < 0.03, "charged dN/deta %.2f, expected %.2f",
          nch / N / span, p.dndeta_ch);
    CHECK(fabs(ng / N / span / p.dndeta_gamma - 1) < 0.03, "photon dN/deta %.2f", ng / N / span);
    CHECK(fabs(ptch / nch - 0.50) < 0.02, "charged <pT> %.3f GeV, expected 0.50", ptch / nch);
    CHECK(fabs(ptg / ng - 0.25) < 0.015, "photon <pT> %.3f GeV, expected 0.25", ptg / ng);
    CHECK(fabs(eta_in / ntot - 0.8 / p.eta_max) < 0.01, "eta not flat: %.3f in |eta| < 0.8",
          eta_in / ntot);
    /* negative binomial: variance well above the Poisson value */
    double mean = ntot / N, var = n2 / N - mean * mean;
    CHECK(var > 3 * mean, "multiplicity variance %.1f for a mean %.1f: not negative binomial", var,
          mean);

    /* an eta band keeps only its particles */
    size_t n = 0;
    for (int i = 0; i < 100; i++) {
        size_t k = l0_minbias_interaction(&p, &r, 0.2, 0.4, buf, 4096);
        for (size_t j = 0; j < k; j++)
            CHECK(buf[j].eta >= 0.2 && buf[j].eta <= 0.4, "particle outside the band");
        n += k;
    }
    CHECK(n > 0, "no particle in the band");

    /* interactions per crossing: Poisson(mu) */
    double s = 0, s2 = 0;
    for (int i = 0; i < 20000; i++) {
        double k = (double)l0_rng_poisson(&r, 200);
        s += k;
        s2 += k * k;
    }
    double m = s / 20000, v = s2 / 20000 - m * m;
    CHECK(fabs(m - 200) < 0.5 && fabs(v / 200 - 1) < 0.05, "Poisson(200): mean %.2f var %.1f", m,
          v);
    GEN_TEST_END("test_gen_minbias");
}
