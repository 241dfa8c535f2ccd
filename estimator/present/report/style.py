"""The report's stylesheet (one self-contained file: no external CSS or fonts)."""

CSS = """
body{margin:0;background:#f4f6f8;color:#1c2833;font:15px/1.45 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:18px 24px 60px}
header h1{font-size:26px;margin:6px 0 2px}
h2{font-size:20px;margin:28px 0 10px;border-bottom:2px solid #d5dbdf;padding-bottom:4px}
h3{font-size:16px;margin:16px 0 6px}
section{background:#fff;border-radius:8px;padding:4px 20px 16px;margin-top:16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
p.lead{font-size:16px;margin:8px 0 4px}
p.cap{margin:4px 0;font-size:14px}
.muted{color:#5d6d7e;font-size:13px}
.cards{display:flex;gap:14px;flex-wrap:wrap;margin:10px 0 14px}
.card{flex:1 1 220px;border:1px solid #d5dbdf;border-left:6px solid #2e86c1;border-radius:6px;padding:10px 14px;background:#fbfcfc}
.card.wide{flex:2 1 360px;border-left-color:#c0392b}
.card .k{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#5d6d7e}
.card .v{font-size:30px;font-weight:700;margin:2px 0}
.card .sub{font-size:14px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e5e8e8;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eaf2f8;position:sticky;top:0}
table.ratios td:nth-child(n+2){white-space:nowrap}
table.scenarios td{white-space:nowrap}
.scroll{overflow-x:auto}
.scenarios-wrap{max-height:640px;overflow-y:auto}
table.sources{table-layout:fixed}
table.sources td{overflow-wrap:anywhere}
table.sources th:nth-child(1){width:17%}table.sources th:nth-child(2){width:9%}table.sources th:nth-child(3){width:8%}
table.sources th:nth-child(4){width:16%}table.sources th:nth-child(5){width:30%}table.sources th:nth-child(6){width:9%}
table.sources th:nth-child(7){width:11%}
table.sources td:nth-child(5),table.sources td:nth-child(7){font-size:12px;color:#424949}
ul.assume li,ul.notes li{margin:3px 0}
ul.notes{color:#5d6d7e;font-size:13px}
.stale{background:#fdebd0;color:#a04000;border-radius:4px;padding:0 4px;font-size:12px}
.chart{margin:10px 0 24px}
ol.method li{margin:6px 0}
code{background:#f2f3f4;padding:0 3px;border-radius:3px;font-size:90%}
@media print{body{background:#fff}section{box-shadow:none}}
"""
