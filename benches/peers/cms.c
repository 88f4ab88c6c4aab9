/* OpenSSL's CMS_verify as a peer of Qoltanba's verify_cms: an attached SignedData (DER) verified with the root as
 * the only trust anchor, the intermediate as an untrusted certificate, and both CRLs checked for the whole path
 * (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL). Arguments: n cms.der root.pem inter.pem root.crl inter.crl.
 * Prints the median microseconds per verification over 7 rounds of n: "verify_us <x>". Built and run by
 * `cargo bench --bench peers`; the stores are built once, as a verifying service keeps them. */
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static X509 *cert(const char *path) {
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f) fclose(f);
    return x;
}

static X509_CRL *crl(const char *path) {
    FILE *f = fopen(path, "r");
    X509_CRL *c = f ? PEM_read_X509_CRL(f, NULL, NULL, NULL) : NULL;
    if (f) fclose(f);
    return c;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: cms n cms.der root.pem inter.pem root.crl inter.crl\n");
        return 2;
    }
    int n = atoi(argv[1]), rounds = 7;
    FILE *f = fopen(argv[2], "rb");
    if (!f) return 2;
    static unsigned char der[1 << 20];
    long len = (long)fread(der, 1, sizeof der, f);
    fclose(f);
    X509 *root = cert(argv[3]), *inter = cert(argv[4]);
    X509_CRL *root_crl = crl(argv[5]), *inter_crl = crl(argv[6]);
    if (!root || !inter || !root_crl || !inter_crl) {
        fprintf(stderr, "cannot read the certificates or CRLs\n");
        return 2;
    }
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, root);
    X509_STORE_add_crl(store, root_crl);
    X509_STORE_add_crl(store, inter_crl);
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    sk_X509_push(untrusted, inter);
    double verify[16];
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (int i = 0; i < n; i++) {
            const unsigned char *p = der;
            CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, len);
            BIO *out = BIO_new(BIO_s_mem());
            if (!cms || CMS_verify(cms, untrusted, store, NULL, out, CMS_BINARY) != 1) {
                ERR_print_errors_fp(stderr);
                return 2;
            }
            BIO_free(out);
            CMS_ContentInfo_free(cms);
        }
        verify[r] = (now() - t0) / n * 1e6;
    }
    qsort(verify, rounds, sizeof(double), cmp);
    printf("verify_us %.1f\n", verify[rounds / 2]);
    return 0;
}
