/*
 * otr3-peer: an independent OTRv3 peer for interoperability tests, built on libotr 4.1.1's public
 * API (Debian libotr5-dev). It plays one account ("peer@test") talking to one contact
 * ("ts@test", our TypeScript library) and is driven over a line protocol:
 *
 *   stdin  (one command per line; every byte string is hex):
 *     RECV <hex>            a message arrived from the contact   -> otrl_message_receiving
 *     SEND <hex>            the user typed a message              -> otrl_message_sending (BEST instance)
 *     SENDTO <instag> <hex> the same, to one instance
 *     QUERY                 ask for OTR ("?OTRv3?", replaced by libotr's default query)
 *     POLICY <hex>          set the OtrlPolicy bits
 *     MMS <n>               maximum message size (fragmentation), 0 = none
 *     SMP <hexsecret> | SMPQ <hexquestion> <hexsecret> | SMPANSWER <hexsecret> | SMPABORT
 *     SYMKEY <use> <hexusedata>   otrl_message_symkey; prints SYMKEY <hexkey>
 *     DISCONNECT            otrl_message_disconnect_all_instances
 *     INFO                  prints INFO <msgstate> <their_instance> <their_fpr> <ssid> for the BEST context
 *     BENCH <dir> <n_ake> <n_msgs> <msglen>   two userstates in this process: AKE and data-message
 *                           CPU timings without any IPC; prints BENCH <ake_ms_mean> <ake_ms_median>
 *                           <msg_us_alternating> <msg_us_one_way> (each message encrypted and decrypted)
 *     QUIT
 *   stdout (one event per line): READY <our_instag_hex> <our_fpr>, OUT <hex> (to transmit),
 *     MSG <hex> (shown to the user), GONE_SECURE <instag_hex>, GONE_INSECURE, STILL_SECURE,
 *     SMP <event> <percent> <hexquestion|->, MSGEVENT <n> <hexmsg|->, SYMKEY_RECV <use> <hexusedata> <hexkey>,
 *     TLV <type> <hexvalue>, ERR <text>; every command ends with DONE.
 *
 * usage: otr3-peer <dir>   (keeps peer.key and peer.instag in <dir>, generating them if missing)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gcrypt.h>
#include <libotr/proto.h>
#include <libotr/userstate.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/instag.h>
#include <libotr/tlv.h>

#define ACCOUNT "peer@test"
#define PROTOCOL "xmpp"
#define CONTACT "ts@test"

static OtrlUserState us;
static OtrlPolicy policy = OTRL_POLICY_ALLOW_V3 | OTRL_POLICY_SEND_WHITESPACE_TAG |
    OTRL_POLICY_WHITESPACE_START_AKE | OTRL_POLICY_ERROR_START_AKE;
static int mms = 0;
static char keyfile[4096], instagfile[4096];

static void put_hex(const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
}

static void put_hex_str(const char *s) {
    if (!s) { printf("-"); return; }
    if (!*s) { printf("-"); return; }
    put_hex((const unsigned char *)s, strlen(s));
}

static unsigned char *from_hex(const char *h, size_t *outlen) {
    size_t n = strlen(h) / 2;
    unsigned char *b = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned int v;
        sscanf(h + 2 * i, "%2x", &v);
        b[i] = (unsigned char)v;
    }
    b[n] = 0;
    if (outlen) *outlen = n;
    return b;
}

/* ---- OtrlMessageAppOps ---- */
static OtrlPolicy op_policy(void *o, ConnContext *c) { (void)o; (void)c; return policy; }
static void op_create_privkey(void *o, const char *a, const char *p) {
    (void)o; otrl_privkey_generate(us, keyfile, a, p);
}
static int op_is_logged_in(void *o, const char *a, const char *p, const char *r) {
    (void)o; (void)a; (void)p; (void)r; return 1;
}
static void op_inject(void *o, const char *a, const char *p, const char *r, const char *msg) {
    (void)o; (void)a; (void)p; (void)r;
    if (!msg || !*msg) return;
    printf("OUT "); put_hex_str(msg); printf("\n");
}
static void op_update_context_list(void *o) { (void)o; }
static void op_new_fingerprint(void *o, OtrlUserState u, const char *a, const char *p, const char *n, unsigned char f[20]) {
    (void)o; (void)u; (void)a; (void)p; (void)n; (void)f;
}
static void op_write_fingerprints(void *o) { (void)o; }
static void op_gone_secure(void *o, ConnContext *c) {
    (void)o; printf("GONE_SECURE %08x\n", c->their_instance);
}
static void op_gone_insecure(void *o, ConnContext *c) { (void)o; (void)c; printf("GONE_INSECURE\n"); }
static void op_still_secure(void *o, ConnContext *c, int is_reply) {
    (void)o; (void)c; (void)is_reply; printf("STILL_SECURE\n");
}
static int op_max_message_size(void *o, ConnContext *c) { (void)o; (void)c; return mms; }
static const char *op_account_name(void *o, const char *a, const char *p) { (void)o; (void)p; return a; }
static void op_account_name_free(void *o, const char *a) { (void)o; (void)a; }
static void op_received_symkey(void *o, ConnContext *c, unsigned int use, const unsigned char *usedata,
        size_t usedatalen, const unsigned char *symkey) {
    (void)o; (void)c;
    printf("SYMKEY_RECV %u ", use);
    if (usedatalen) put_hex(usedata, usedatalen); else printf("-");
    printf(" "); put_hex(symkey, OTRL_EXTRAKEY_BYTES); printf("\n");
}
static const char *op_otr_error_message(void *o, ConnContext *c, OtrlErrorCode code) {
    (void)o; (void)c;
    switch (code) {
        case OTRL_ERRCODE_ENCRYPTION_ERROR: return "encryption error";
        case OTRL_ERRCODE_MSG_NOT_IN_PRIVATE: return "not in private";
        case OTRL_ERRCODE_MSG_UNREADABLE: return "unreadable";
        case OTRL_ERRCODE_MSG_MALFORMED: return "malformed";
        default: return "error";
    }
}
static void op_otr_error_message_free(void *o, const char *m) { (void)o; (void)m; }
static const char *op_resent_msg_prefix(void *o, ConnContext *c) { (void)o; (void)c; return "[resent]"; }
static void op_resent_msg_prefix_free(void *o, const char *p) { (void)o; (void)p; }
static void op_handle_smp_event(void *o, OtrlSMPEvent ev, ConnContext *c, unsigned short pct, char *question) {
    (void)o; (void)c;
    printf("SMP %d %u ", (int)ev, pct); put_hex_str(question); printf("\n");
}
static void op_handle_msg_event(void *o, OtrlMessageEvent ev, ConnContext *c, const char *msg, gcry_error_t err) {
    (void)o; (void)c; (void)err;
    printf("MSGEVENT %d ", (int)ev); put_hex_str(msg); printf("\n");
}
static void op_create_instag(void *o, const char *a, const char *p) {
    (void)o; otrl_instag_generate(us, instagfile, a, p);
}
static void op_timer_control(void *o, unsigned int interval) { (void)o; (void)interval; }

static OtrlMessageAppOps ops = {
    op_policy, op_create_privkey, op_is_logged_in, op_inject, op_update_context_list,
    op_new_fingerprint, op_write_fingerprints, op_gone_secure, op_gone_insecure, op_still_secure,
    op_max_message_size, op_account_name, op_account_name_free, op_received_symkey,
    op_otr_error_message, op_otr_error_message_free, op_resent_msg_prefix, op_resent_msg_prefix_free,
    op_handle_smp_event, op_handle_msg_event, op_create_instag, NULL, NULL, op_timer_control,
};


/* ---- BENCH: two libotr userstates in this process, talking to each other through queues ---- */
#include <time.h>
#include <libotr/context.h>

typedef struct QItem { char *msg; struct QItem *next; } QItem;
typedef struct Side {
    OtrlUserState us;
    const char *account, *peer;
    QItem *head, *tail;          /* messages waiting to be received by this side */
    struct Side *other;
    int secure;
    int received;
} Side;

static void q_push(Side *s, const char *m) {
    QItem *it = malloc(sizeof *it);
    it->msg = strdup(m); it->next = NULL;
    if (s->tail) s->tail->next = it; else s->head = it;
    s->tail = it;
}
static char *q_pop(Side *s) {
    QItem *it = s->head;
    if (!it) return NULL;
    s->head = it->next;
    if (!s->head) s->tail = NULL;
    char *m = it->msg; free(it);
    return m;
}
static void b_inject(void *o, const char *a, const char *p, const char *r, const char *msg) {
    (void)a; (void)p; (void)r;
    if (msg && *msg) q_push(((Side *)o)->other, msg);
}
static void b_gone_secure(void *o, ConnContext *c) { (void)c; ((Side *)o)->secure = 1; }
static void b_quiet_ctx(void *o, ConnContext *c) { (void)o; (void)c; }
static void b_still_secure(void *o, ConnContext *c, int r) { (void)c; (void)r; ((Side *)o)->secure = 1; }
static void b_smp(void *o, OtrlSMPEvent e, ConnContext *c, unsigned short p, char *q) { (void)o; (void)e; (void)c; (void)p; (void)q; }
static void b_msgev(void *o, OtrlMessageEvent e, ConnContext *c, const char *m, gcry_error_t err) {
    (void)o; (void)c; (void)m; (void)err;
    if (e != OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD && e != OTRL_MSGEVENT_LOG_HEARTBEAT_SENT) fprintf(stderr, "bench msg event %d\n", (int)e);
}
static OtrlPolicy b_policy(void *o, ConnContext *c) { (void)o; (void)c; return OTRL_POLICY_ALLOW_V3; }

static OtrlMessageAppOps bench_ops;

static void b_recv(Side *s, const char *m) {
    char *newmsg = NULL; OtrlTLV *tlvs = NULL;
    int internal = otrl_message_receiving(s->us, &bench_ops, s, s->account, PROTOCOL, s->peer, m, &newmsg, &tlvs, NULL, NULL, NULL);
    if (!internal && newmsg) s->received++;
    otrl_tlv_free(tlvs); otrl_message_free(newmsg);
}
static void b_send(Side *s, const char *text) {
    char *newmsg = NULL;
    otrl_message_sending(s->us, &bench_ops, s, s->account, PROTOCOL, s->peer, OTRL_INSTAG_BEST, text, NULL, &newmsg, OTRL_FRAGMENT_SEND_ALL, NULL, NULL, NULL);
    if (!newmsg) q_push(s->other, text);
    otrl_message_free(newmsg);
}
static void b_pump(Side *a, Side *b) {
    for (;;) {
        char *m;
        if ((m = q_pop(a))) { b_recv(a, m); free(m); }
        else if ((m = q_pop(b))) { b_recv(b, m); free(m); }
        else break;
    }
}
/* CPU time of this (single-threaded) process: on a shared machine, other jobs do not inflate it */
static double now_ms(void) {
    struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
static void b_setup(Side *s, const char *dir, const char *name, const char *account, const char *peer) {
    char kf[4096], tf[4096];
    s->us = otrl_userstate_create(); s->account = account; s->peer = peer;
    s->head = s->tail = NULL; s->secure = 0; s->received = 0;
    snprintf(kf, sizeof kf, "%s/%s.key", dir, name);
    snprintf(tf, sizeof tf, "%s/%s.instag", dir, name);
    if (access(kf, R_OK) == 0) otrl_privkey_read(s->us, kf); else otrl_privkey_generate(s->us, kf, account, PROTOCOL);
    if (access(tf, R_OK) == 0) otrl_instag_read(s->us, tf); else otrl_instag_generate(s->us, tf, account, PROTOCOL);
}
static void b_reset(Side *s) {
    for (ConnContext *c = s->us->context_root; c; c = c->next) otrl_context_force_plaintext(c);
    s->secure = 0;
}

/* BENCH <dir> <n_ake> <n_msgs> <msglen>: prints BENCH <ake_ms_mean> <ake_ms_median>
 *                           <msg_us_alternating> <msg_us_one_way> (each message encrypted and decrypted) */
static int cmp_d(const void *x, const void *y) { double a = *(const double *)x, b = *(const double *)y; return a < b ? -1 : a > b; }
static void do_bench(const char *dir, int n_ake, int n_msgs, int msglen) {
    bench_ops = ops;
    bench_ops.policy = b_policy; bench_ops.inject_message = b_inject; bench_ops.gone_secure = b_gone_secure;
    bench_ops.gone_insecure = b_quiet_ctx; bench_ops.still_secure = b_still_secure; bench_ops.handle_smp_event = b_smp;
    bench_ops.handle_msg_event = b_msgev; bench_ops.received_symkey = NULL; bench_ops.max_message_size = NULL;
    bench_ops.create_privkey = NULL; bench_ops.create_instag = NULL;
    Side a, b;
    b_setup(&a, dir, "bench-a", "a@bench", "b@bench");
    b_setup(&b, dir, "bench-b", "b@bench", "a@bench");
    a.other = &b; b.other = &a;
    double *t = calloc(n_ake, sizeof *t), sum = 0;
    for (int i = 0; i < n_ake; i++) {
        b_reset(&a); b_reset(&b);
        double t0 = now_ms();
        b_send(&a, "?OTRv3?");
        b_pump(&a, &b);
        t[i] = now_ms() - t0; sum += t[i];
        if (!a.secure || !b.secure) { printf("ERR bench AKE failed\n"); return; }
    }
    qsort(t, n_ake, sizeof *t, cmp_d);
    char *text = malloc(msglen + 1); memset(text, 'x', msglen); text[msglen] = 0;
    double m0 = now_ms();
    for (int i = 0; i < n_msgs; i++) {
        Side *from = (i % 2) ? &b : &a;
        b_send(from, text);
        b_pump(&a, &b);
    }
    double mt = now_ms() - m0;
    /* one direction only: no D-H key rotation between messages */
    double o0 = now_ms();
    for (int i = 0; i < n_msgs; i++) {
        b_send(&a, text);
        b_pump(&a, &b);
    }
    double ot = now_ms() - o0;
    if (a.received + b.received < 2 * n_msgs) { printf("ERR bench messages lost %d\n", a.received + b.received); return; }
    printf("BENCH %.3f %.3f %.3f %.3f\n", sum / n_ake, t[n_ake / 2], mt * 1000.0 / n_msgs, ot * 1000.0 / n_msgs);
    free(t); free(text);
}

static ConnContext *best_context(void) {
    return otrl_context_find(us, CONTACT, ACCOUNT, PROTOCOL, OTRL_INSTAG_BEST, 0, NULL, NULL, NULL);
}

static void do_send(otrl_instag_t instag, const char *text) {
    char *newmsg = NULL;
    gcry_error_t err = otrl_message_sending(us, &ops, NULL, ACCOUNT, PROTOCOL, CONTACT, instag, text,
            NULL, &newmsg, OTRL_FRAGMENT_SEND_ALL, NULL, NULL, NULL);
    if (err) {
        printf("ERR sending %s\n", gcry_strerror(err));
    } else if (!newmsg) {
        /* libotr left the message unchanged: send it as it is */
        op_inject(NULL, ACCOUNT, PROTOCOL, CONTACT, text);
    }
    /* otherwise fragment_and_send already injected it */
    otrl_message_free(newmsg);
}

static void do_recv(const char *msg) {
    char *newmsg = NULL;
    OtrlTLV *tlvs = NULL;
    int internal = otrl_message_receiving(us, &ops, NULL, ACCOUNT, PROTOCOL, CONTACT, msg, &newmsg,
            &tlvs, NULL, NULL, NULL);
    if (!internal) {
        printf("MSG "); put_hex_str(newmsg ? newmsg : msg); printf("\n");
    }
    for (OtrlTLV *t = tlvs; t; t = t->next) {
        printf("TLV %u ", t->type);
        if (t->len) put_hex(t->data, t->len); else printf("-");
        printf("\n");
    }
    otrl_tlv_free(tlvs);
    otrl_message_free(newmsg);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s <dir>\n", argv[0]); return 2; }
    setvbuf(stdout, NULL, _IOLBF, 0);
    OTRL_INIT;
    us = otrl_userstate_create();
    snprintf(keyfile, sizeof keyfile, "%s/peer.key", argv[1]);
    snprintf(instagfile, sizeof instagfile, "%s/peer.instag", argv[1]);
    if (access(keyfile, R_OK) == 0) otrl_privkey_read(us, keyfile);
    else otrl_privkey_generate(us, keyfile, ACCOUNT, PROTOCOL);
    if (access(instagfile, R_OK) == 0) otrl_instag_read(us, instagfile);
    else otrl_instag_generate(us, instagfile, ACCOUNT, PROTOCOL);
    char fpr[OTRL_PRIVKEY_FPRINT_HUMAN_LEN];
    otrl_privkey_fingerprint(us, fpr, ACCOUNT, PROTOCOL);
    OtrlInsTag *tag = otrl_instag_find(us, ACCOUNT, PROTOCOL);
    printf("READY %08x ", tag ? tag->instag : 0);
    for (char *p = fpr; *p; p++) if (*p != ' ') putchar(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    printf("\n");

    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (line[n - 1] == '\n') line[--n] = 0;
        char *cmd = strtok(line, " ");
        if (!cmd) { printf("DONE\n"); continue; }
        char *a1 = strtok(NULL, " ");
        char *a2 = strtok(NULL, " ");
        if (!strcmp(cmd, "RECV") && a1) {
            unsigned char *m = from_hex(a1, NULL); do_recv((char *)m); free(m);
        } else if (!strcmp(cmd, "SEND")) {
            unsigned char *m = from_hex(a1 ? a1 : "", NULL); do_send(OTRL_INSTAG_BEST, (char *)m); free(m);
        } else if (!strcmp(cmd, "SENDTO") && a1 && a2) {
            unsigned char *m = from_hex(a2, NULL); do_send((otrl_instag_t)strtoul(a1, NULL, 16), (char *)m); free(m);
        } else if (!strcmp(cmd, "QUERY")) {
            do_send(OTRL_INSTAG_BEST, "?OTRv3?");
        } else if (!strcmp(cmd, "POLICY") && a1) {
            policy = (OtrlPolicy)strtoul(a1, NULL, 16);
        } else if (!strcmp(cmd, "MMS") && a1) {
            mms = atoi(a1);
        } else if (!strcmp(cmd, "SMP") || !strcmp(cmd, "SMPQ") || !strcmp(cmd, "SMPANSWER") || !strcmp(cmd, "SMPABORT")) {
            ConnContext *c = best_context();
            if (!c) { printf("ERR no context\n"); }
            else if (!strcmp(cmd, "SMPABORT")) otrl_message_abort_smp(us, &ops, NULL, c);
            else if (!strcmp(cmd, "SMPQ") && a1 && a2) {
                size_t sl; unsigned char *q = from_hex(a1, NULL), *s = from_hex(a2, &sl);
                otrl_message_initiate_smp_q(us, &ops, NULL, c, (char *)q, s, sl); free(q); free(s);
            } else if (a1) {
                size_t sl; unsigned char *s = from_hex(a1, &sl);
                if (!strcmp(cmd, "SMP")) otrl_message_initiate_smp(us, &ops, NULL, c, s, sl);
                else otrl_message_respond_smp(us, &ops, NULL, c, s, sl);
                free(s);
            }
        } else if (!strcmp(cmd, "SYMKEY") && a1) {
            ConnContext *c = best_context();
            size_t ul = 0;
            unsigned char *ud = from_hex(a2 && strcmp(a2, "-") ? a2 : "", &ul);
            unsigned char key[OTRL_EXTRAKEY_BYTES];
            gcry_error_t err = c ? otrl_message_symkey(us, &ops, NULL, c, (unsigned int)strtoul(a1, NULL, 10), ud, ul, key)
                                 : gcry_error(GPG_ERR_INV_VALUE);
            if (err) printf("ERR symkey %s\n", gcry_strerror(err));
            else { printf("SYMKEY "); put_hex(key, sizeof key); printf("\n"); }
            free(ud);
        } else if (!strcmp(cmd, "DISCONNECT")) {
            otrl_message_disconnect_all_instances(us, &ops, NULL, ACCOUNT, PROTOCOL, CONTACT);
        } else if (!strcmp(cmd, "INFO")) {
            ConnContext *c = best_context();
            if (!c) printf("INFO none\n");
            else {
                printf("INFO %d %08x ", (int)c->msgstate, c->their_instance);
                if (c->active_fingerprint && c->active_fingerprint->fingerprint) put_hex(c->active_fingerprint->fingerprint, 20);
                else printf("-");
                printf(" ");
                if (c->sessionid_len) put_hex(c->sessionid, c->sessionid_len); else printf("-");
                printf("\n");
            }
        } else if (!strcmp(cmd, "BENCH") && a1 && a2) {
            char *a3 = strtok(NULL, " ");
            char *a4 = strtok(NULL, " ");
            do_bench(a1, atoi(a2), a3 ? atoi(a3) : 0, a4 ? atoi(a4) : 100);
        } else if (!strcmp(cmd, "QUIT")) {
            printf("DONE\n");
            break;
        } else {
            printf("ERR unknown command\n");
        }
        printf("DONE\n");
    }
    free(line);
    otrl_userstate_free(us);
    return 0;
}
