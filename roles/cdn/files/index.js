// Viewer request: a folder URL serves its index.html from the private bucket.
//   /about/ -> /about/index.html     /about -> /about/index.html     /app.css stays /app.css
function handler(event) {
    var request = event.request;
    var uri = request.uri;
    if (uri.endsWith('/')) {
        request.uri = uri + 'index.html';
    } else if (uri.split('/').pop().indexOf('.') === -1) {
        request.uri = uri + '/index.html';
    }
    return request;
}
