{#- Shared expressions, imported by the transforms that need them. -#}

{#- A hash key: md5 of the integer business key(s) joined by '|', as uuid. NULL when a key part is
    NULL (a stream without a course has no course-stream link). -#}
{% macro hash_key(columns) -%}
md5({{ columns | join("::text || '|' || ") }}::text)::uuid
{%- endmacro %}

{#- A hashdiff: a 64-bit hash of the text form of the row of attributes. The row's text form quotes
    what needs quoting and tells NULL from an empty string; a hashdiff is only ever compared with the
    same key's previous one, so 64 bits leave a missed change at odds of 1 in 2^64, at a third of md5's
    cost. -#}
{% macro hashdiff(columns) -%}
hashtextextended(ROW({{ columns | join(', ') }})::text, 0)
{%- endmacro %}
