{#- Shared expressions, imported by the transforms that need them. -#}

{#- A hash key or hashdiff: md5 over the row value of the columns, as uuid. The row's text form
    quotes what needs quoting and tells NULL from an empty string, so no separator can collide. -#}
{% macro hash(columns) -%}
md5(ROW({{ columns | join(', ') }})::text)::uuid
{%- endmacro %}

{#- The same hash, NULL when the key it identifies is incomplete (a stream without a course). -#}
{% macro hash_if_present(columns) -%}
CASE WHEN {{ columns | join(' IS NOT NULL AND ') }} IS NOT NULL THEN {{ hash(columns) }} END
{%- endmacro %}
