# Russian for camera scanning, the photo fallback and the weighed-goods notes.
MESSAGES = {
    "The scanner typed this code in the Russian keyboard layout: switch the scanner's keyboard "
    "layout to English and scan again.":
        "Сканер ввёл код в русской раскладке клавиатуры: переключите раскладку сканера на "
        "английскую и отсканируйте ещё раз.",
    "The photo is too large. Take it again with the phone's camera.":
        "Фото слишком большое. Сделайте снимок заново камерой телефона.",
    "That file is not a photo. Take a photo of the barcode.":
        "Этот файл — не фотография. Сфотографируйте штрихкод.",
    "No barcode found in the photo. Take it again closer, with more light.":
        "На фото не найден штрихкод. Снимите ещё раз ближе и при лучшем освещении.",
    "The barcode in the photo does not match this order. Take the photo again, "
    "with only this item's barcode in the frame.":
        "Штрихкод на фото не подходит к этому заказу. Сфотографируйте ещё раз так, "
        "чтобы в кадре был только штрихкод этого товара.",
    "Photo": "Фото",
    "Take a photo of the barcode": "Сфотографировать штрихкод",
    "Send photo": "Отправить фото",
    "Camera": "Камера",
    "Camera scanner": "Сканер камерой",
    "Starting the camera…": "Включаем камеру…",
    "Hold the barcode inside the frame.": "Держите штрихкод внутри рамки.",
    "The camera is not available. Use the photo button instead.":
        "Камера недоступна. Воспользуйтесь кнопкой «Фото».",
    "This phone cannot read barcodes live. Use the photo button instead.":
        "Этот телефон не читает штрихкоды с камеры. Воспользуйтесь кнопкой «Фото».",
    "Light": "Фонарик",
    "Close camera": "Закрыть камеру",
    "confirmed": "подтверждено",
}
