# Russian for offline scanning: the queue banner, the offline feedback and the page answers.
MESSAGES = {
    ("{n} scan waiting for the network", "{n} scans waiting for the network"):
        ("{n} скан ждёт сети", "{n} скана ждут сети", "{n} сканов ждут сети"),
    "No network. Scans are kept on this phone and sent when it returns.":
        "Нет сети. Сканы хранятся на телефоне и уйдут, когда она появится.",
    "Sending them to the server one by one…": "Отправляем их на сервер по одному…",
    "The server cannot be reached. Trying again by itself.":
        "Сервер недоступен. Пробуем снова сами.",
    "The server answers with an error. Trying again by itself.":
        "Сервер отвечает ошибкой. Пробуем снова сами.",
    "The server asks you to sign in again. Until then the scans stay on this phone: "
    "reload the page or sign in.":
        "Сервер просит войти снова. До тех пор сканы останутся на телефоне: "
        "обновите страницу или войдите.",
    "Page saved on this phone at {time}: the list shows what the server had confirmed by then.":
        "Страница сохранена на телефоне в {time}: список показывает то, что сервер "
        "подтвердил к этому времени.",
    "Recorded on this phone, not counted yet": "Записано на телефоне, ещё не засчитано",
    "{name} is on this order. The scan will be sent when the network returns.":
        "{name} есть в заказе. Скан уйдёт, когда появится сеть.",
    "{name}: that looks like more than ordered ({have} of {need}). The server will check it.":
        "{name}: похоже, больше, чем заказано ({have} из {need}). Сервер проверит.",
    "{code} is not on this order as far as this phone knows. Check the item.":
        "{code}: по данным телефона, этого товара нет в заказе. Проверьте товар.",
    "The weight for {name} will be sent when the network returns.":
        "Вес для «{name}» уйдёт, когда появится сеть.",
    "The undo will be sent after the scans made before it.":
        "Отмена уйдёт после сканов, сделанных до неё.",
    "“Missing” for {name} will be sent when the network returns.":
        "Отметка «нет товара» для «{name}» уйдёт, когда появится сеть.",
    "Server answers for scans sent late:": "Ответы сервера на сканы, отправленные позже:",
    "Got it": "Понятно",
    "Not yet: some scans are still on this phone. Finish once they are sent.":
        "Пока нельзя: часть сканов ещё на телефоне. Завершите, когда они уйдут.",
    "Finishing the order needs the network.": "Для завершения заказа нужна сеть.",
}
