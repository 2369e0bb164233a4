/* The trainer's forward passes against the golden model: float equals l0_model_float (to 1e-12
 * relative; in practice bit for bit), and the QAT forward equals l0_golden_run bit for bit, for
 * several model sizes and precision configurations (rounding, saturating, wrapping, narrow
 * accumulators, unsigned results, wide types). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_rng.h"
#include "train_synth.h"

static l0_fx_type T(const char *s) {
    l0_fx_type t;
    l0_err err;
    if (l0_fx_parse(s, &t, &err)) {
        fprintf(stderr, "bad type %s: %s\n", s, err.msg);
        exit(1);
    }
    return t;
}

typedef struct prec_case {
    const char *name;
    const char *input, *weight, *bias, *result, *ksum, *accum; /* accum NULL: auto */
} prec_case;

static const prec_case PRECS[] = {
    {"default", NULL, NULL, NULL, NULL, NULL, NULL},
    {"narrow rounding, saturating", "ap_fixed<10,4,AP_RND,AP_SAT>", "ap_fixed<8,2>",
     "ap_fixed<8,3>", "ap_fixed<10,4,AP_RND,AP_SAT>", "ap_fixed<12,7,AP_RND_CONV,AP_SAT>", NULL},
    {"narrow wrapping accumulator", "ap_fixed<12,5,AP_RND,AP_SAT>", "ap_fixed<10,3,AP_RND>",
     "ap_fixed<10,3>", "ap_fixed<12,5,AP_RND_ZERO,AP_SAT_SYM>", "ap_fixed<14,8,AP_TRN,AP_WRAP>",
     "ap_fixed<14,5,AP_RND>"},
    {"unsigned results", "ap_fixed<16,6,AP_RND,AP_SAT>", "ap_fixed<16,6>", "ap_fixed<16,6>",
     "ap_ufixed<14,5,AP_RND_INF,AP_SAT>", "ap_ufixed<18,10,AP_RND,AP_SAT>", NULL},
    {"wide (32,14) intermediates", "ap_fixed<32,14>", "ap_fixed<24,4,AP_RND_CONV>",
     "ap_fixed<24,6>", "ap_fixed<32,14,AP_RND,AP_SAT>", "ap_fixed<32,14,AP_RND,AP_SAT>", NULL},
    {"accumulator wrapping on sums", "ap_fixed<8,4,AP_RND,AP_SAT>", "ap_fixed<8,4,AP_RND>",
     "ap_fixed<8,4>", "ap_fixed<8,4,AP_RND,AP_SAT>", "ap_fixed<10,6,AP_RND,AP_SAT>",
     "ap_fixed<16,8>"},
    {"tiny, saturating everywhere", "ap_fixed<6,3,AP_RND,AP_SAT>", "ap_fixed<5,1,AP_RND,AP_SAT>",
     "ap_fixed<5,1,AP_RND,AP_SAT>", "ap_fixed<6,2,AP_RND,AP_SAT_ZERO>",
     "ap_fixed<7,4,AP_RND_MIN_INF,AP_SAT>", NULL},
};

static void set_prec(l0_model *m, const prec_case *pc) {
    l0_precision p;
    l0_precision_default(&p);
    if (pc->input) p.input = T(pc->input);
    if (pc->weight) p.weight = T(pc->weight);
    if (pc->bias) p.bias = T(pc->bias);
    if (pc->result) p.result = T(pc->result);
    if (pc->ksum) p.ksum = T(pc->ksum);
    if (pc->accum) {
        p.accum = T(pc->accum);
        p.accum_auto = false;
    }
    l0_err err;
    if (l0_model_set_precision(m, &p, &err)) {
        fprintf(stderr, "precision %s: %s\n", pc->name, err.msg);
        exit(1);
    }
}

int main(void) {
    struct {
        int phi[5], n_phi, rho[5], n_rho, cells_max;
    } sizes[] = {
        {{16, 16, 16}, 3, {16, 16, 1}, 3, 64},
        {{8}, 1, {1}, 1, 20},
        {{64, 64, 64, 64, 64}, 5, {64, 64, 64, 64, 1}, 5, 64},
    };
    size_t n = 400;
    l0_cluster *cl = synth_clusters(n, 90, 11); /* some clusters above cells_max */
    l0_err err;
    long float_exact = 0, float_total = 0, q_total = 0;
    double worst = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        l0_model m;
        if (l0_model_init(&m, sizes[s].phi, sizes[s].n_phi, sizes[s].rho, sizes[s].n_rho, 5 + s,
                          NULL, &err)) {
            fprintf(stderr, "init: %s\n", err.msg);
            return 1;
        }
        m.cells_max = sizes[s].cells_max;
        /* non-zero biases, and a scale that keeps the deep network's values in range */
        l0_rng r;
        l0_rng_seed(&r, 3, s);
        for (int k = 0; k < l0_model_n_layers(&m); k++) {
            l0_layer *L = l0_model_layer(&m, k);
            for (int j = 0; j < L->n_out; j++) L->b[j] = 0.05 * l0_rng_normal(&r);
            for (int q = 0; q < L->n_in * L->n_out; q++) L->w[q] *= 0.6;
        }
        /* the reference size is slow in fixed point: fewer clusters */
        size_t nc = sizes[s].n_phi >= 5 ? 60 : n;
        l0_dataset ds;
        synth_dataset(&ds, &m, cl, nc, 1);
        CHECK(ds.n == nc, "data set kept %zu of %zu clusters", ds.n, nc);

        l0_trainer *t = l0_trainer_create(&m, false, &err);
        for (size_t i = 0; i < ds.n; i++) {
            double a = l0_trainer_forward(t, &ds, i), b = l0_model_float(&m, &cl[i]);
            double rel = fabs(a - b) / fmax(fabs(b), 1e-300);
            if (a == b) float_exact++;
            if (rel > worst && b != 0) worst = rel;
            CHECK(a == b || rel <= 1e-12, "size %zu cluster %zu: float forward %.17g, model %.17g",
                  s, i, a, b);
            float_total++;
        }
        l0_trainer_free(t);

        for (size_t pc = 0; pc < sizeof PRECS / sizeof PRECS[0]; pc++) {
            set_prec(&m, &PRECS[pc]);
            l0_golden *g = l0_golden_create(&m, &err);
            l0_trainer *tq = l0_trainer_create(&m, true, &err);
            if (!g || !tq) {
                fprintf(stderr, "create: %s\n", err.msg);
                return 1;
            }
            int bad = 0;
            for (size_t i = 0; i < ds.n; i++) {
                double gout;
                l0_golden_run(g, &cl[i], &gout);
                double q = l0_trainer_forward(tq, &ds, i);
                if (memcmp(&q, &gout, sizeof q) != 0 && bad++ < 3)
                    CHECK(0,
                          "size %zu, precision '%s', cluster %zu: QAT forward %.17g, golden %.17g",
                          s, PRECS[pc].name, i, q, gout);
                q_total++;
            }
            CHECK(!bad, "size %zu, precision '%s': %d of %zu clusters differ", s, PRECS[pc].name,
                  bad, ds.n);
            const l0_ovf_counts *ov = l0_golden_ovf(g);
            uint64_t novf = ov->input + ov->ksum;
            for (int k = 0; k < l0_model_n_layers(&m); k++) novf += ov->accum[k] + ov->result[k];
            printf("size %zu, precision '%s': QAT forward == golden on %zu clusters (%llu "
                   "overflowing casts exercised)\n",
                   s, PRECS[pc].name, ds.n, (unsigned long long)novf);
            l0_trainer_free(tq);
            l0_golden_free(g);
        }
        l0_dataset_free(&ds);
        l0_model_free(&m);
    }
    synth_free(cl, n);
    if (synth_failures) {
        fprintf(stderr, "%d failures\n", synth_failures);
        return 1;
    }
    printf("float forward == l0_model_float: %ld of %ld bit for bit, worst relative difference "
           "%.3g; QAT forward == l0_golden_run bit for bit on %ld runs\n",
           float_exact, float_total, worst, q_total);
    return 0;
}
