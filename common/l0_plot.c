#include "l0_plot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int l0_plot_png(const char *png_path, int width, int height, const char *script, l0_err *err) {
    char tmp_png[4096], tmp_gp[4096];
    if (snprintf(tmp_png, sizeof tmp_png, "%s.tmp.%ld.png", png_path, (long)getpid()) >=
        (int)sizeof tmp_png)
        return l0_err_set(err, "%s: path too long", png_path);
    snprintf(tmp_gp, sizeof tmp_gp, "%s.tmp.%ld.gp", png_path, (long)getpid());
    FILE *f = fopen(tmp_gp, "w");
    if (!f) return l0_err_set(err, "%s: cannot create: %s", tmp_gp, strerror(errno));
    fprintf(f, "set terminal pngcairo size %d,%d enhanced font 'sans,10'\n", width, height);
    fprintf(f, "set output '%s'\n", tmp_png);
    fputs(script, f);
    fputs("\nunset output\n", f);
    if (fclose(f) != 0) {
        unlink(tmp_gp);
        return l0_err_set(err, "%s: write failed", tmp_gp);
    }
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", tmp_gp);
    FILE *p = popen(cmd, "r");
    char out[512] = "";
    size_t n = 0;
    if (p) {
        n = fread(out, 1, sizeof out - 1, p);
        out[n] = '\0';
    }
    int st = p ? pclose(p) : -1;
    unlink(tmp_gp);
    /* gnuplot prints warnings on success too; only its exit status and the image count. */
    if (st != 0 || access(tmp_png, F_OK) != 0) {
        unlink(tmp_png);
        if (st == -1 || (WIFEXITED(st) && WEXITSTATUS(st) == 127))
            return l0_err_set(err, "%s: gnuplot not found (run scripts/deps)", png_path);
        for (char *c = out; *c; c++)
            if (*c == '\n') *c = ' ';
        return l0_err_set(err, "%s: gnuplot failed: %s", png_path, out[0] ? out : "no output");
    }
    if (rename(tmp_png, png_path) != 0) {
        unlink(tmp_png);
        return l0_err_set(err, "%s: cannot rename plot into place: %s", png_path, strerror(errno));
    }
    return 0;
}
