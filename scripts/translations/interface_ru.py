# Russian for the phone layout of the pick and substitute pages, the notices banner,
# the camera hint and the customer page (issue 12: items 7, 9–13 and accessibility).
MESSAGES = {
    "Scan or type a code": "Сканируйте или введите код",
    "Undo": "Отмена",
    "Got it": "Понятно",
    "The camera needs HTTPS: use the photo button.": "Камере нужен HTTPS: снимите фото кнопкой «Фото».",
    "The camera needs HTTPS: type the code.": "Камере нужен HTTPS: введите код вручную.",
    "This browser cannot use the camera: use the photo button.":
        "Этот браузер не даёт камеру: снимите фото кнопкой «Фото».",
    "This browser cannot use the camera: type the code.":
        "Этот браузер не даёт камеру: введите код вручную.",
    "Scanned: %(code)s": "Отсканировано: %(code)s",
    ("%(num)s done", "%(num)s done"): ("%(num)s готово", "%(num)s готово", "%(num)s готово"),
}
