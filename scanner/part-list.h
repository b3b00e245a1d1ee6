/*
 * The partition-table parsers, tried in this order (X-macro: include with
 * SC_TABLE defined). Adding a format: write part-NAME.c with
 * int sc_part_NAME(struct sc_ptctx *) and add one line here.
 * GPT comes first: a GPT disk also carries a (protective) MBR.
 */
SC_TABLE(gpt)
SC_TABLE(mbr)
