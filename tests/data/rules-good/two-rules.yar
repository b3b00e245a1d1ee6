// Two plain rules; used by test_rules for a clean single-file load.
rule Good_One
{
    strings:
        $a = "good-one-needle"
    condition:
        $a
}

rule Good_Two : tagged
{
    meta:
        note = "second"
    condition:
        filesize == 3
}
