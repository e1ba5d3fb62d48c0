from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def dashboard(request):
    personas = request.user.personas.all()
    return render(request, "personas/dashboard.html", {"personas": personas})
