"""The query layer: functions of a ViewState returning tidy DataFrames, aggregated in SQL."""
