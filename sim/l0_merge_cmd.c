/* l0sim merge: add the JSON reports of the shards of a stream run (docs/stream.md). */
#include <getopt.h>
#include <stdio.h>

#include "l0_cli.h"
#include "l0_cmds.h"
#include "l0_ofile.h"
#include "l0_stream.h"

static const char MERGE_HELP[] =
    "usage: l0sim merge REPORT.json REPORT.json ... [-o OUT.json] [--plots DIR] [-q]\n"
    "\n"
    "Add the JSON reports of shards of one run (l0sim run --shard I/N, or l0sim-sc) into the\n"
    "report and summary a single run over all their nodes gives: counters and exact latency\n"
    "histograms add, worst cases and first failures are kept. The reports must share the\n"
    "configuration, stimulus and model, and cover different nodes.\n"
    "\n"
    "  -o, --output FILE   the merged report (default: print the summary only)\n"
    "  --plots DIR         write DIR/latency.png and DIR/completion.png\n"
    "  -q, --quiet         no summary\n"
    "  -h, --help\n"
    "exit status: 0 PASS, 1 FAIL, 2 usage or input error.\n";

int l0_cmd_merge(int argc, char **argv) {
    const char *out = NULL, *plots = NULL;
    int quiet = 0;
    struct option opts[] = {{"output", required_argument, NULL, 'o'},
                            {"plots", required_argument, NULL, 'p'},
                            {"quiet", no_argument, NULL, 'q'},
                            {"help", no_argument, NULL, 'h'},
                            {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'p':
            plots = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(MERGE_HELP, stdout);
            return L0_EXIT_OK;
        default:
            return l0_cli_bad_option("merge", c, argv);
        }
    }
    if (optind >= argc) return l0_cli_usage("merge", "no reports given");
    l0_err err;
    l0_stream_report a;
    if (l0_stream_report_read(argv[optind], &a, &err)) return l0_cli_error("merge", "%s", err.msg);
    for (int i = optind + 1; i < argc; i++) {
        l0_stream_report b;
        if (l0_stream_report_read(argv[i], &b, &err)) {
            l0_stream_report_free(&a);
            return l0_cli_error("merge", "%s", err.msg);
        }
        int r = l0_stream_report_merge(&a, &b, &err);
        l0_stream_report_free(&b);
        if (r) {
            l0_stream_report_free(&a);
            return l0_cli_error("merge", "%s: %s", argv[i], err.msg);
        }
    }
    int rc = 0;
    if (out && l0_stream_report_write(&a, out, &err)) rc = l0_cli_error("merge", "%s", err.msg);
    if (!rc && plots && (l0_mkdir_p(plots, &err) || l0_stream_report_plots(&a, plots, &err)))
        rc = l0_cli_error("merge", "%s", err.msg);
    if (!rc) {
        if (!quiet) l0_stream_report_summary(&a, stdout);
        rc = l0_stream_report_pass(&a, NULL, 0) ? L0_EXIT_OK : L0_EXIT_FAIL;
    }
    l0_stream_report_free(&a);
    return rc;
}
