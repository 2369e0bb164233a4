#include "l0_ofile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct l0_ofile {
    FILE *fp;
    char *path;
    char *tmp;
};

l0_ofile *l0_ofile_open(const char *path, l0_err *err) {
    l0_ofile *f = calloc(1, sizeof *f);
    size_t n = strlen(path) + 64;
    if (!f || !(f->path = strdup(path)) || !(f->tmp = malloc(n))) {
        if (f) free(f->path);
        free(f);
        l0_err_set(err, "%s: out of memory", path);
        return NULL;
    }
    /* The temporary sits in the destination's directory so that rename() is atomic. */
    snprintf(f->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    f->fp = fopen(f->tmp, "wb");
    if (!f->fp) {
        l0_err_set(err, "%s: cannot create: %s", path, strerror(errno));
        free(f->tmp);
        free(f->path);
        free(f);
        return NULL;
    }
    return f;
}

FILE *l0_ofile_fp(l0_ofile *f) {
    return f->fp;
}

const char *l0_ofile_path(const l0_ofile *f) {
    return f->path;
}

static void ofile_free(l0_ofile *f) {
    free(f->tmp);
    free(f->path);
    free(f);
}

int l0_ofile_commit(l0_ofile *f, l0_err *err) {
    int bad = ferror(f->fp) || fflush(f->fp) != 0;
    int saved = errno;
    if (fclose(f->fp) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        l0_err_set(err, "%s: write failed: %s", f->path, strerror(saved));
        unlink(f->tmp);
        ofile_free(f);
        return -1;
    }
    if (rename(f->tmp, f->path) != 0) {
        l0_err_set(err, "%s: cannot rename temporary into place: %s", f->path, strerror(errno));
        unlink(f->tmp);
        ofile_free(f);
        return -1;
    }
    ofile_free(f);
    return 0;
}

void l0_ofile_abort(l0_ofile *f) {
    if (!f) return;
    fclose(f->fp);
    unlink(f->tmp);
    ofile_free(f);
}

int l0_write_file_atomic(const char *path, const void *data, size_t size, l0_err *err) {
    l0_ofile *f = l0_ofile_open(path, err);
    if (!f) return -1;
    if (size && fwrite(data, 1, size, f->fp) != size) {
        l0_ofile_abort(f);
        return l0_err_set(err, "%s: write failed: %s", path, strerror(errno));
    }
    return l0_ofile_commit(f, err);
}

int l0_mkdir_p(const char *path, l0_err *err) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0) return 0;
    if (n >= sizeof buf) return l0_err_set(err, "%s: path too long", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return l0_err_set(err, "%s: cannot create directory: %s", buf, strerror(errno));
            buf[i] = c;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return l0_err_set(err, "%s: not a directory", path);
    return 0;
}

char *l0_read_file(const char *path, size_t max, size_t *len, l0_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        l0_err_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            if (cap > max) break;
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf) {
        l0_err_set(err, "%s: out of memory", path);
    } else if (n > max) {
        l0_err_set(err, "%s: larger than %zu bytes", path, max);
    } else if (bad) {
        l0_err_set(err, "%s: read error", path);
    } else {
        buf[n] = 0;
        *len = n;
        return buf;
    }
    free(buf);
    return NULL;
}
