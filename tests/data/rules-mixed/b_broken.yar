// Broken on purpose: line 6 names an identifier that does not exist.
rule Mixed_Broken
{
    strings:
        $a = "mixed-broken"
    condition: $a and no_such_identifier
}
