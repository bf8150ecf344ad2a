/* Small desk conveniences: an export menu closes once a format is chosen or on a click elsewhere. */
document.addEventListener("click", function (event) {
    document.querySelectorAll("details.export-menu[open]").forEach(function (menu) {
        if (!menu.contains(event.target) || event.target.closest(".export-button")) {
            menu.open = false;
        }
    });
});
