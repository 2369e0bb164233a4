/* Showers: the incomplete gamma function, the solenoid's bending, where EM and hadronic showers
 * deposit their energy, and deposit regions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen_check.h"
#include "l0_shower.h"

int main(void) {
    /* P(a, x) against closed forms, on both branches (series and continued fraction) */
    struct {
        double a, x, p;
    } pv[] = {{1, 0.5, 0.39346934028736658}, {1, 7.0, 0.99908811803444553},
              {2, 1, 0.26424111765711536},   {0.5, 2.0, 0.95449973610364158},
              {3, 10, 0.99723060428448842},  {5, 3, 0.18473675547622792},
              {10, 15, 0.93014633930059020}};
    for (size_t i = 0; i < sizeof pv / sizeof pv[0]; i++)
        CHECK(fabs(l0_gamma_p(pv[i].a, pv[i].x) - pv[i].p) < 1e-12, "P(%g, %g) = %.15g, not %.15g",
              pv[i].a, pv[i].x, l0_gamma_p(pv[i].a, pv[i].x), pv[i].p);
    CHECK(l0_gamma_p(2, 0) == 0 && l0_gamma_p(2, -1) == 0, "P(a, x <= 0) not 0");

    l0_geom *g = l0_geom_create();
    l0_shower_params sp;
    l0_shower_params_default(&sp);
    l0_shower *s = l0_shower_create(g, &sp);
    CHECK(g && s, "out of memory");

    /* bending: pi+ to lower phi, pi- to higher, photons straight, loopers never arrive */
    l0_particle pp = {211, 1.0, 0.0, 0.0}, pm = {-211, 1.0, 0.0, 0.0}, ph = {22, 1.0, 0.2, 1.0};
    double eta, phi;
    CHECK(l0_shower_impact(s, &pp, &eta, &phi) && phi < -0.38 && phi > -0.76 && eta == 0.0,
          "1 GeV pi+ arrives at phi %g", phi);
    double phi_p = phi;
    CHECK(l0_shower_impact(s, &pm, &eta, &phi) && fabs(phi + phi_p) < 1e-12,
          "pi- does not bend opposite to pi+ (%g vs %g)", phi, phi_p);
    CHECK(l0_shower_impact(s, &ph, &eta, &phi) && phi == 1.0 && eta == 0.2, "photon bent");
    l0_particle loop = {211, 0.3, 0.0, 0.0}, far = {22, 10.0, 1.7, 0.0};
    CHECK(!l0_shower_impact(s, &loop, &eta, &phi), "0.3 GeV pi+ reached the calorimeter");
    CHECK(!l0_shower_impact(s, &far, &eta, &phi), "|eta| = 1.7 reached the barrel");
    l0_particle stiff = {211, 500.0, 0.0, 0.5};
    CHECK(l0_shower_impact(s, &stiff, &eta, &phi) && fabs(phi - 0.5) < 0.002,
          "500 GeV pi+ bent by %g", phi - 0.5);

    l0_depo d;
    CHECK(l0_depo_init(&d, g) == 0, "out of memory");
    l0_rng r;
    l0_rng_seed(&r, 7, 0);

    /* 50 GeV photons: ~all visible, in the EM layers, EMB2 compact about the axis */
    double vis = 0, tile = 0, emb2 = 0, emb2_core = 0;
    const int N = 200;
    for (int i = 0; i < N; i++) {
        l0_particle p = {22, 50.0, 0.3, 0.4};
        vis += l0_shower_deposit(s, &r, &p, L0_SHOWER_FULL, &d) / 50.0;
        int64_t axis = l0_geom_cell_at(g, L0_LAYER_EMB2, 0.3, 0.4);
        int ai, ae, ap;
        l0_geom_cell_ij(g, (uint32_t)axis, &ai, &ae, &ap);
        for (size_t t = 0; t < d.n_touched; t++) {
            uint32_t c = d.touched[t];
            int l, ie, ip;
            l0_geom_cell_ij(g, c, &l, &ie, &ip);
            if (l >= L0_LAYER_TILE0) tile += d.e[c];
            if (l == L0_LAYER_EMB2) {
                emb2 += d.e[c];
                if (abs(ie - ae) <= 1 && abs(ip - ap) <= 1) emb2_core += d.e[c];
            }
        }
        l0_depo_clear(&d);
    }
    vis /= N;
    CHECK(vis > 0.97 && vis < 1.01, "50 GeV photons: visible fraction %.3f", vis);
    CHECK(tile / (50.0 * N) < 0.01, "50 GeV photons: %.3f of the energy in Tile",
          tile / (50.0 * N));
    CHECK(emb2 / (50.0 * N) > 0.55, "50 GeV photons: only %.3f in EMB2", emb2 / (50.0 * N));
    CHECK(emb2_core / emb2 > 0.8 && emb2_core / emb2 < 0.99,
          "50 GeV photons: %.3f of EMB2 in the 3x3 cells about the axis", emb2_core / emb2);

    /* 100 GeV pions: EM-scale response below 1 (non-compensation), much of it in Tile */
    vis = tile = 0;
    for (int i = 0; i < N; i++) {
        l0_particle p = {211, 100.0, -0.5, 2.0};
        vis += l0_shower_deposit(s, &r, &p, L0_SHOWER_FULL, &d) / 100.0;
        for (size_t t = 0; t < d.n_touched; t++)
            if (g->cell_layer[d.touched[t]] >= L0_LAYER_TILE0) tile += d.e[d.touched[t]];
        l0_depo_clear(&d);
    }
    vis /= N;
    CHECK(vis > 0.70 && vis < 0.90, "100 GeV pions: visible fraction %.3f, expected 0.7-0.9", vis);
    CHECK(tile / (100.0 * N * vis) > 0.3, "100 GeV pions: only %.3f of the visible in Tile",
          tile / (100.0 * N * vis));

    /* the fast quality agrees on average with the full one (soft photons and pions) */
    for (int k = 0; k < 2; k++) {
        double sum[2] = {0, 0};
        for (int q = 0; q < 2; q++)
            for (int i = 0; i < 4000; i++) {
                l0_particle p = {k ? 211 : 22, 2.0, 0.1, 0.0};
                sum[q] += l0_shower_deposit(s, &r, &p, q ? L0_SHOWER_FAST : L0_SHOWER_FULL, &d);
                l0_depo_clear(&d);
            }
        CHECK(fabs(sum[1] / sum[0] - 1) < 0.05, "%s: fast/full visible energy %.3f",
              k ? "2 GeV pions" : "2 GeV photons", sum[1] / sum[0]);
    }

    /* a window region keeps deposits inside it */
    l0_region rg;
    l0_region_window(g, 1.0, 0.0, 0.3, &rg);
    d.region = &rg;
    l0_particle in = {22, 20.0, 1.0, 0.1}, out = {22, 20.0, 0.0, 0.1};
    l0_shower_deposit(s, &r, &out, L0_SHOWER_FULL, &d);
    CHECK(d.n_touched == 0, "deposit outside the window kept (%zu cells)", d.n_touched);
    l0_shower_deposit(s, &r, &in, L0_SHOWER_FULL, &d);
    CHECK(d.n_touched > 10, "deposit inside the window lost");
    l0_depo_clear(&d);

    l0_depo_free(&d);
    l0_shower_destroy(s);
    l0_geom_destroy(g);
    GEN_TEST_END("test_gen_shower");
}
