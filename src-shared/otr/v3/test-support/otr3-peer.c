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
