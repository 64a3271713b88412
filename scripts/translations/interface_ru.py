# Russian for the phone layout of the pick and substitute pages, the notices banner,
# the camera hint and the customer page (issue 12: items 7, 9–13 and accessibility).
MESSAGES = {
    "Scan or type a code": "Сканируйте или введите код",
    "Undo": "Отмена",
    "Got it": "Понятно",
    "Scanned: %(code)s": "Отсканировано: %(code)s",
    ("%(num)s done", "%(num)s done"): ("%(num)s готово", "%(num)s готово", "%(num)s готово"),
}
