{#- Shared expressions, imported by the transforms that need them. -#}

{#- A hash key: md5 of the integer business key(s) joined by '|', as uuid. NULL when a key part is
    NULL (a stream without a course has no course-stream link). -#}
{% macro hash_key(columns) -%}
md5({{ columns | join("::text || '|' || ") }}::text)::uuid
{%- endmacro %}

{#- A hashdiff: a 64-bit hash of the row of attributes, each value hashed by its type's own hash
    function (NULL hashes apart from any value). A hashdiff is only ever compared with the same key's
    previous one, so 64 bits leave a missed change at odds of 1 in 2^64. It costs far less than md5,
    and than hashing the row's text form, which must first format every timestamp. -#}
{% macro hashdiff(columns) -%}
hash_record_extended(ROW({{ columns | join(', ') }}), 0)
{%- endmacro %}
