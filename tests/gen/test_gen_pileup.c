/* Pile-up at mu = 200 (slow): the noise the clustering uses agrees with the RMS of the simulated
 * cell energies, layer by layer; it grows as sqrt(mu); the measurement does not depend on the
 * thread count; clusters per crossing and cells per cluster are in a sane range; single pions
 * of 50 GeV are found at mu = 200. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen_check.h"
#include "l0_gen.h"

int main(void) {
    l0_err err;
    l0_gen_config cfg;
    l0_gen_config_default(&cfg);
    cfg.mu = 200;
    cfg.threads = 1;
    l0_gen *g = l0_gen_create(&cfg, &err);
    CHECK(g != NULL, "%s", err.msg);
    if (!g) return 1;
    const l0_geom *geo = l0_gen_geom(g);

    /* thread count does not change the measurement */
    cfg.threads = 2;
    l0_gen *g2 = l0_gen_create(&cfg, &err);
    CHECK(g2 && memcmp(l0_gen_noise(g)->sigma, l0_gen_noise(g2)->sigma,
                       geo->n_cells * sizeof(float)) == 0,
          "pile-up noise differs between 1 and 2 threads");
    l0_gen_destroy(g2);

    /* sqrt(mu): sigma^2 - elec^2 scales with mu */
    double pu200[L0_NLAYERS], pu50[L0_NLAYERS];
    for (int l = 0; l < L0_NLAYERS; l++) {
        uint32_t c =
            geo->layer[l].first + (uint32_t)(geo->layer[l].n_eta / 2) * geo->layer[l].n_phi;
        double s = l0_gen_noise(g)->sigma[c], el = geo->layer[l].noise;
        pu200[l] = s * s - el * el;
    }
    CHECK(l0_gen_set_mu(g, 50, &err) == 0, "%s", err.msg);
    for (int l = 0; l < L0_NLAYERS; l++) {
        uint32_t c =
            geo->layer[l].first + (uint32_t)(geo->layer[l].n_eta / 2) * geo->layer[l].n_phi;
        double s = l0_gen_noise(g)->sigma[c], el = geo->layer[l].noise;
        pu50[l] = s * s - el * el;
        CHECK(pu200[l] > 0 && fabs(pu50[l] / pu200[l] - 0.25) < 1e-3,
              "%s: pile-up variance does not scale with mu", geo->layer[l].name);
    }
    CHECK(l0_gen_set_mu(g, 200, &err) == 0, "%s", err.msg);

    /* simulate filled crossings; compare RMS of cell energies with sigma per layer */
    l0_gen_work *w = l0_gen_work_create(g);
    l0_gen_out o;
    memset(&o, 0, sizeof o);
    double s1[L0_NLAYERS] = {0}, s2[L0_NLAYERS] = {0}, n[L0_NLAYERS] = {0};
    double clusters = 0, cells = 0;
    const int NX = 40;
    for (int i = 0; i < NX; i++) {
        CHECK(l0_gen_crossing(g, w, 0, (uint16_t)i, &o) == 0, "crossing failed");
        const float *e = l0_gen_work_cells(w);
        for (uint32_t c = 0; c < geo->n_cells; c++) {
            int l = geo->cell_layer[c];
            s1[l] += e[c];
            s2[l] += (double)e[c] * e[c];
            n[l]++;
        }
        clusters += o.ev.n_clusters;
        for (uint32_t k = 0; k < o.ev.n_clusters; k++) cells += o.ev.clusters[k].n_cells_total;
    }
    const l0_noise *nz = l0_gen_noise(g);
    for (int l = 0; l < L0_NLAYERS; l++) {
        double ss = 0, cnt = 0;
        const l0_layer_info *L = &geo->layer[l];
        for (uint32_t c = L->first; c < L->first + (uint32_t)(L->n_eta * L->n_phi); c++) {
            ss += (double)nz->sigma[c] * nz->sigma[c];
            cnt++;
        }
        double sig = sqrt(ss / cnt), m = s1[l] / n[l], rms = sqrt(s2[l] / n[l] - m * m);
        printf("%-12s sigma %7.1f MeV  rms %7.1f MeV  mean %6.2f MeV\n", L->name, 1000 * sig,
               1000 * rms, 1000 * m);
        CHECK(fabs(rms / sig - 1) < 0.06, "%s: RMS %.1f MeV vs sigma %.1f MeV", L->name, 1000 * rms,
              1000 * sig);
        CHECK(fabs(m) < 0.1 * sig, "%s: mean cell energy %.2f MeV not ~0", L->name, 1000 * m);
    }
    printf("clusters per crossing %.1f, cells per cluster %.2f\n", clusters / NX, cells / clusters);
    CHECK(clusters / NX > 100 && clusters / NX < 3000, "%.1f clusters per crossing", clusters / NX);
    CHECK(cells / clusters > 1.2 && cells / clusters < 20, "%.2f cells per cluster",
          cells / clusters);

    /* 50 GeV pions at mu = 200 are found */
    CHECK(l0_gen_set_particle(g, L0_GEN_PION, 50, 50, &err) == 0, "%s", err.msg);
    int found = 0;
    for (int i = 0; i < 200; i++) found += l0_gen_single(g, w, (uint64_t)i, &o) == 1;
    CHECK(found >= 190, "only %d of 200 50 GeV pions matched at mu = 200", found);

    l0_gen_out_free(&o);
    l0_gen_work_destroy(w);
    l0_gen_destroy(g);
    GEN_TEST_END("test_gen_pileup");
}
