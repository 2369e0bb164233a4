/* l0sim gen: single-particle sets and bunch-crossing streams, written as stimulus files.
 *
 * Items (particles, bunch slots) are simulated in batches on all threads, each from its own
 * seeded RNG streams, then written in index order by this thread: the file's bytes depend on the
 * options and the seed only, never on the threads. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_cli.h"
#include "l0_gen.h"
#include "l0_progress.h"
#include "l0_stimfile.h"

int l0_cmd_gen(int argc, char **argv); /* declared in sim/l0_cmds.h */

static const char *const GEN_HELP =
    "usage: l0sim gen -o FILE (--singles N | --orbits N | --crossings N) [options]\n"
    "\n"
    "Simulate calorimeter clusters of the ATLAS-like barrel (|eta| < 1.4, seven layers) with\n"
    "pile-up, topoclustered as the L0 Global trigger does (4-2), and write a stimulus file\n"
    "(docs/stimuli.md describes the simulation, docs/stimulus-format.md the file).\n"
    "\n"
    "what to make (one of):\n"
    "  --singles N         training/test set: N records, each the matched cluster of one hard\n"
    "                      particle overlaid on the pile-up of one crossing (kind 'singles')\n"
    "  --orbits N          event stream: N LHC orbits of 3564 bunch slots, 2808 filled (nominal\n"
    "                      25 ns scheme); empty slots are records without clusters (kind "
    "'stream')\n"
    "  --crossings N       event stream: the first N bunch slots (empty ones included)\n"
    "  -o, --output FILE   the stimulus file (appears whole or not at all)\n"
    "\n"
    "physics:\n"
    "  --mu MU             mean pile-up interactions per filled crossing (default 200; 0: none)\n"
    "  --particle P        hard particles: pion (pi+ and pi- half each; default), pi+, pi-,\n"
    "                      photon, electron\n"
    "  --spectrum S        energy spectrum: log-uniform (default) or flat\n"
    "  --e-min E           lowest energy, GeV (default 1)\n"
    "  --e-max E           highest energy, GeV (default 500)\n"
    "  --energy E          one fixed energy (sets --e-min and --e-max)\n"
    "  --eta-max X         hard particles flat in |eta| < X (default 1.2, at most 1.4)\n"
    "  --cells C           cells kept per cluster, most energetic first (default 64, 1..128)\n"
    "  --encoding-bits B   cell Et encoding as sent to Global (multilinear): 0 = exact values,\n"
    "                      6 (default) to 10 bits\n"
    "  --encoding-lsb MEV  its least significant bit, MeV (default 40)\n"
    "  --encoding-gain G   step ratio from one range to the next (default 4)\n"
    "  --match-frac F      a cluster matches a particle when it holds the largest share of the\n"
    "                      particle's visible energy and at least F of it (default 0.3)\n"
    "  --window W          singles: half-size in eta and phi of the simulated window about the\n"
    "                      particle (default 0.7)\n"
    "\n"
    "streams:\n"
    "  --hard-fraction F   fraction of filled crossings with embedded hard particles (default 0)\n"
    "  --hard-n K          hard particles in such a crossing (default 1)\n"
    "  --min-cluster-et E  drop clusters with Et below E GeV (default 0: keep all)\n"
    "  --first-orbit N     number of the first orbit (default 0)\n"
    "\n"
    "run:\n"
    "  --seed S            random seed (default 1): the same seed and options give the same\n"
    "                      bytes, on every run and with any thread count\n"
    "  --threads T         worker threads (default: online CPUs); does not change the output\n"
    "  -q, --quiet         no summary line\n"
    "  -h, --help\n"
    "\n"
    "Every option (and the model's parameters) is recorded in the file's header.\n"
    "exit status: 0, or 2 for a usage or input error.\n";

enum {
    OPT_SINGLES = 256,
    OPT_ORBITS,
    OPT_CROSSINGS,
    OPT_MU,
    OPT_PARTICLE,
    OPT_SPECTRUM,
    OPT_EMIN,
    OPT_EMAX,
    OPT_ENERGY,
    OPT_ETAMAX,
    OPT_CELLS,
    OPT_ENCBITS,
    OPT_ENCLSB,
    OPT_ENCGAIN,
    OPT_MATCH,
    OPT_WINDOW,
    OPT_HARDFRAC,
    OPT_HARDN,
    OPT_MINET,
    OPT_FIRSTORBIT,
    OPT_SEED,
    OPT_THREADS,
};

typedef struct gen_opts {
    l0_gen_config cfg;
    const char *output;
    uint64_t singles, orbits, crossings;
    uint32_t first_orbit;
    int threads, quiet;
} gen_opts;

static int parse_particle(const char *s, int *out) {
    static const struct {
        const char *name;
        int v;
    } T[] = {{"pion", L0_GEN_PION},         {"pi", L0_GEN_PION},       {"pi+", L0_GEN_PIPLUS},
             {"pi-", L0_GEN_PIMINUS},       {"photon", L0_GEN_PHOTON}, {"gamma", L0_GEN_PHOTON},
             {"electron", L0_GEN_ELECTRON}, {"e", L0_GEN_ELECTRON}};
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if (!strcmp(s, T[i].name)) {
            *out = T[i].v;
            return 0;
        }
    return -1;
}

/* The options JSON of the header: every option that changes the output, and the model. */
static char *options_json(const gen_opts *o, const char *kind) {
    const l0_gen_config *c = &o->cfg;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "generator", "l0sim gen");
    cJSON_AddStringToObject(j, "kind", kind);
    if (o->singles) cJSON_AddNumberToObject(j, "singles", (double)o->singles);
    if (o->orbits) cJSON_AddNumberToObject(j, "orbits", (double)o->orbits);
    if (o->crossings) cJSON_AddNumberToObject(j, "crossings", (double)o->crossings);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    cJSON_AddStringToObject(j, "seed", seed);
    cJSON_AddNumberToObject(j, "mu", c->mu);
    cJSON_AddStringToObject(j, "particle", l0_gen_particle_name(c->particle));
    cJSON_AddStringToObject(j, "spectrum", l0_gen_spectrum_name(c->spectrum));
    cJSON_AddNumberToObject(j, "e_min_gev", c->e_min);
    cJSON_AddNumberToObject(j, "e_max_gev", c->e_max);
    cJSON_AddNumberToObject(j, "eta_max", c->eta_max);
    cJSON_AddNumberToObject(j, "cells", c->max_cells);
    cJSON *enc = cJSON_AddObjectToObject(j, "encoding");
    cJSON_AddNumberToObject(enc, "bits", c->enc_bits);
    cJSON_AddNumberToObject(enc, "lsb_gev", c->enc_lsb);
    cJSON_AddNumberToObject(enc, "gain", c->enc_gain);
    cJSON_AddStringToObject(enc, "quantity", "cell Et, truncated to its step");
    cJSON *topo = cJSON_AddObjectToObject(j, "topoclustering");
    cJSON_AddNumberToObject(topo, "seed_sigma", c->seed_thr);
    cJSON_AddNumberToObject(topo, "growth_sigma", c->grow_thr);
    cJSON_AddStringToObject(topo, "cells", "E/sigma >= growth only (no 0-sigma ring)");
    cJSON_AddNumberToObject(j, "match_frac", c->match_min_frac);
    cJSON_AddNumberToObject(j, "window", c->window);
    cJSON_AddNumberToObject(j, "hard_fraction", c->hard_fraction);
    cJSON_AddNumberToObject(j, "hard_n", c->hard_n);
    cJSON_AddNumberToObject(j, "min_cluster_et_gev", c->min_cluster_et);
    cJSON_AddNumberToObject(j, "first_orbit", o->first_orbit);
    cJSON_AddStringToObject(j, "filling_scheme", "LHC nominal 25 ns: 2808 of 3564 slots");
    cJSON *nz = cJSON_AddObjectToObject(j, "noise");
    cJSON_AddNumberToObject(nz, "r_oot_lar", c->r_oot_lar);
    cJSON_AddNumberToObject(nz, "r_oot_tile", c->r_oot_tile);
    cJSON_AddNumberToObject(nz, "calibration_interactions", (double)c->n_calib);
    const l0_shower_params *s = &c->shower;
    cJSON *m = cJSON_AddObjectToObject(j, "shower");
#define NUM(obj, st, f) cJSON_AddNumberToObject(obj, #f, (st)->f)
    NUM(m, s, ec);
    NUM(m, s, z_eff);
    NUM(m, s, em_a_lar);
    NUM(m, s, em_a_tile);
    NUM(m, s, em_c);
    NUM(m, s, lat_core);
    NUM(m, s, lat_r_core);
    NUM(m, s, lat_r_tail);
    NUM(m, s, fem_k);
    NUM(m, s, fem_min);
    NUM(m, s, fem_max);
    NUM(m, s, fem_conc);
    NUM(m, s, had_a);
    NUM(m, s, had_c);
    NUM(m, s, had_lambda);
    NUM(m, s, had_tmax0);
    NUM(m, s, had_tmax1);
    NUM(m, s, had_att);
    NUM(m, s, had_e_short);
    NUM(m, s, had_sig_alpha);
    NUM(m, s, had_lat_core);
    NUM(m, s, had_r_core);
    NUM(m, s, had_r_tail);
    NUM(m, s, b_field);
    NUM(m, s, r_solenoid);
    NUM(m, s, r_calo);
    const l0_minbias_params *mb = &c->minbias;
    cJSON *mbj = cJSON_AddObjectToObject(j, "minbias");
    NUM(mbj, mb, dndeta_ch);
    NUM(mbj, mb, dndeta_gamma);
    NUM(mbj, mb, dndeta_nh);
    NUM(mbj, mb, eta_max);
    NUM(mbj, mb, tsallis_n);
    NUM(mbj, mb, tsallis_t);
    NUM(mbj, mb, nbd_k);
#undef NUM
    char *txt = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return txt;
}

static int run(const gen_opts *o) {
    const char *kind = o->singles ? L0_STIM_KIND_SINGLES : L0_STIM_KIND_STREAM;
    l0_err err;
    l0_gen_config cfg = o->cfg;
    cfg.threads = o->threads;
    double t0 = l0_now();
    l0_gen *g = l0_gen_create(&cfg, &err);
    if (!g) return l0_cli_error("gen", "%s", err.msg);
    l0_gen_pool *pool = l0_gen_pool_create(g, o->threads);
    char *opts = options_json(o, kind);
    l0_stim_writer *wr = NULL;
    int status = L0_EXIT_USAGE;
    if (!pool || !opts) {
        l0_cli_error("gen", "out of memory");
        goto done;
    }
    wr = l0_stim_writer_open(o->output, kind, opts, &err);
    if (!wr) {
        l0_cli_error("gen", "%s", err.msg);
        goto done;
    }
    uint64_t total = o->singles ? o->singles : o->orbits ? o->orbits * L0_FILL_SLOTS : o->crossings;
    l0_progress pr;
    l0_progress_start(&pr, "gen", total);
    l0_gen_stats st;
    if (l0_gen_write(g, pool, wr, o->singles != 0, total, o->first_orbit, &pr, &st, &err)) {
        l0_progress_end(&pr, st.records);
        l0_cli_error("gen", "%s", err.msg);
        goto done;
    }
    l0_progress_end(&pr, st.records);
    l0_stim_writer *w2 = wr;
    wr = NULL;
    if (l0_stim_writer_close(w2, &err)) {
        l0_cli_error("gen", "%s", err.msg);
        goto done;
    }
    if (!o->quiet) {
        double dt = l0_now() - t0;
        if (o->singles)
            printf("%s: %llu singles (%llu particles tried), mu %g, %.1f s\n", o->output,
                   (unsigned long long)st.records, (unsigned long long)st.items, o->cfg.mu, dt);
        else
            printf("%s: %llu bunch slots (%llu filled), %llu clusters, mu %g, %.1f s\n", o->output,
                   (unsigned long long)st.records, (unsigned long long)st.filled,
                   (unsigned long long)st.clusters, o->cfg.mu, dt);
    }
    status = L0_EXIT_OK;
done:
    l0_stim_writer_abort(wr);
    cJSON_free(opts);
    l0_gen_pool_destroy(pool);
    l0_gen_destroy(g);
    return status;
}

int l0_cmd_gen(int argc, char **argv) {
    static const struct option opts[] = {{"singles", required_argument, 0, OPT_SINGLES},
                                         {"orbits", required_argument, 0, OPT_ORBITS},
                                         {"crossings", required_argument, 0, OPT_CROSSINGS},
                                         {"output", required_argument, 0, 'o'},
                                         {"mu", required_argument, 0, OPT_MU},
                                         {"particle", required_argument, 0, OPT_PARTICLE},
                                         {"spectrum", required_argument, 0, OPT_SPECTRUM},
                                         {"e-min", required_argument, 0, OPT_EMIN},
                                         {"e-max", required_argument, 0, OPT_EMAX},
                                         {"energy", required_argument, 0, OPT_ENERGY},
                                         {"eta-max", required_argument, 0, OPT_ETAMAX},
                                         {"cells", required_argument, 0, OPT_CELLS},
                                         {"encoding-bits", required_argument, 0, OPT_ENCBITS},
                                         {"encoding-lsb", required_argument, 0, OPT_ENCLSB},
                                         {"encoding-gain", required_argument, 0, OPT_ENCGAIN},
                                         {"match-frac", required_argument, 0, OPT_MATCH},
                                         {"window", required_argument, 0, OPT_WINDOW},
                                         {"hard-fraction", required_argument, 0, OPT_HARDFRAC},
                                         {"hard-n", required_argument, 0, OPT_HARDN},
                                         {"min-cluster-et", required_argument, 0, OPT_MINET},
                                         {"first-orbit", required_argument, 0, OPT_FIRSTORBIT},
                                         {"seed", required_argument, 0, OPT_SEED},
                                         {"threads", required_argument, 0, OPT_THREADS},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    gen_opts o;
    memset(&o, 0, sizeof o);
    l0_gen_config_default(&o.cfg);
    o.threads = l0_gen_ncpu();
    int c, nwhat = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
        int64_t i64;
        uint64_t u64;
        double d;
        const char *name = NULL;
        for (const struct option *op = opts; op->name; op++)
            if (op->val == c) name = op->name;
        switch (c) {
        case 'h':
            fputs(GEN_HELP, stdout);
            return L0_EXIT_OK;
        case 'q':
            o.quiet = 1;
            break;
        case 'o':
            o.output = optarg;
            break;
        case OPT_SINGLES:
        case OPT_ORBITS:
        case OPT_CROSSINGS:
            if (l0_parse_u64(optarg, &u64) || u64 == 0 || u64 > (1ULL << 40))
                return l0_cli_usage("gen", "--%s '%s': need a whole number from 1 to 2^40", name,
                                    optarg);
            if (c == OPT_SINGLES) o.singles = u64;
            if (c == OPT_ORBITS) o.orbits = u64;
            if (c == OPT_CROSSINGS) o.crossings = u64;
            nwhat++;
            break;
        case OPT_PARTICLE:
            if (parse_particle(optarg, &o.cfg.particle))
                return l0_cli_usage(
                    "gen", "--particle '%s': need pion, pi+, pi-, photon or electron", optarg);
            break;
        case OPT_SPECTRUM:
            if (!strcmp(optarg, "log-uniform") || !strcmp(optarg, "loguniform") ||
                !strcmp(optarg, "log"))
                o.cfg.spectrum = L0_GEN_LOGUNIFORM;
            else if (!strcmp(optarg, "flat"))
                o.cfg.spectrum = L0_GEN_FLAT;
            else
                return l0_cli_usage("gen", "--spectrum '%s': need log-uniform or flat", optarg);
            break;
        case OPT_MU:
        case OPT_EMIN:
        case OPT_EMAX:
        case OPT_ENERGY:
        case OPT_ETAMAX:
        case OPT_ENCLSB:
        case OPT_MATCH:
        case OPT_WINDOW:
        case OPT_HARDFRAC:
        case OPT_MINET:
            if (l0_parse_double(optarg, &d))
                return l0_cli_usage("gen", "--%s '%s': need a number", name, optarg);
            if (c == OPT_MU) o.cfg.mu = d;
            if (c == OPT_EMIN) o.cfg.e_min = d;
            if (c == OPT_EMAX) o.cfg.e_max = d;
            if (c == OPT_ENERGY) o.cfg.e_min = o.cfg.e_max = d;
            if (c == OPT_ETAMAX) o.cfg.eta_max = d;
            if (c == OPT_ENCLSB) o.cfg.enc_lsb = d / 1000.0;
            if (c == OPT_MATCH) o.cfg.match_min_frac = d;
            if (c == OPT_WINDOW) o.cfg.window = d;
            if (c == OPT_HARDFRAC) o.cfg.hard_fraction = d;
            if (c == OPT_MINET) o.cfg.min_cluster_et = d;
            break;
        case OPT_CELLS:
        case OPT_ENCBITS:
        case OPT_ENCGAIN:
        case OPT_HARDN:
        case OPT_THREADS:
            if (l0_parse_i64(optarg, 0, 1 << 20, &i64))
                return l0_cli_usage("gen", "--%s '%s': need a whole number", name, optarg);
            if (c == OPT_CELLS) o.cfg.max_cells = (int)i64;
            if (c == OPT_ENCBITS) o.cfg.enc_bits = (int)i64;
            if (c == OPT_ENCGAIN) o.cfg.enc_gain = (int)i64;
            if (c == OPT_HARDN) o.cfg.hard_n = (int)i64;
            if (c == OPT_THREADS) {
                if (i64 < 1 || i64 > 64)
                    return l0_cli_usage("gen", "--threads '%s': need 1 to 64", optarg);
                o.threads = (int)i64;
            }
            break;
        case OPT_FIRSTORBIT:
            if (l0_parse_i64(optarg, 0, UINT32_MAX, &i64))
                return l0_cli_usage("gen", "--first-orbit '%s': need 0 to 2^32-1", optarg);
            o.first_orbit = (uint32_t)i64;
            break;
        case OPT_SEED:
            if (l0_parse_u64(optarg, &u64))
                return l0_cli_usage("gen", "--seed '%s': need a whole number from 0 to 2^64-1",
                                    optarg);
            o.cfg.seed = u64;
            break;
        default:
            return l0_cli_bad_option("gen", c, argv);
        }
    }
    if (optind < argc) return l0_cli_usage("gen", "unexpected argument '%s'", argv[optind]);
    if (nwhat != 1)
        return l0_cli_usage("gen", "give exactly one of --singles, --orbits, --crossings");
    if (!o.output) return l0_cli_usage("gen", "no output file: give -o FILE");
    if (o.orbits && (uint64_t)o.first_orbit + o.orbits > (1ULL << 32))
        return l0_cli_usage("gen", "orbit numbers would pass 2^32");
    l0_err err;
    if (l0_gen_config_check(&o.cfg, &err)) return l0_cli_usage("gen", "%s", err.msg);
    if (o.singles) o.cfg.hard_fraction = 0; /* stream-only options: keep the header honest */
    return run(&o);
}
